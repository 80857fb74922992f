-- Service management (服务管理): customer issues with their handling records,
-- the service knowledge base, and the queue that keeps the search index in
-- step with the database.

-- Customer issues (客户问题). due_at is reported_at plus the response time of
-- the priority, stored so "overdue" is an index range, not a computation.
CREATE TABLE issues (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    contact_id  INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    reported_at TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '' CHECK (channel IN ('', 'phone', 'email', 'wechat', 'visit', 'web', 'other')),
    type_id     INTEGER REFERENCES aux_items(id),
    priority    TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    subject     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    assignee_id INTEGER REFERENCES users(id),
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'handling', 'resolved', 'archived', 'closed')),
    due_at      TEXT NOT NULL,
    resolved_at TEXT,
    article_id  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL,
    created_by  INTEGER,
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER
);
CREATE INDEX issues_customer ON issues(customer_id, status, id);
CREATE INDEX issues_assignee ON issues(assignee_id, status, due_at);
CREATE INDEX issues_status_due ON issues(status, due_at);

-- Handling records (处理): several per issue.
CREATE TABLE issue_handlings (
    id         INTEGER PRIMARY KEY,
    issue_id   INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    handled_on TEXT NOT NULL,
    handler_id INTEGER NOT NULL REFERENCES users(id),
    method_id  INTEGER REFERENCES aux_items(id),
    content    TEXT NOT NULL,
    result     TEXT NOT NULL DEFAULT '',
    article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX issue_handlings_issue ON issue_handlings(issue_id, id);

-- Knowledge articles (服务知识库). The solution is Markdown; it is sanitised
-- when rendered, never trusted as HTML. The category is an issue type.
CREATE TABLE articles (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    symptom         TEXT NOT NULL DEFAULT '',
    solution        TEXT NOT NULL DEFAULT '',
    category_id     INTEGER REFERENCES aux_items(id),
    keywords        TEXT NOT NULL DEFAULT '',
    source_issue_id INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    views           INTEGER NOT NULL DEFAULT 0,
    helped          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    created_by      INTEGER,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER
);
CREATE INDEX articles_category ON articles(category_id, id);
CREATE INDEX articles_updated ON articles(updated_at, id);
CREATE INDEX articles_source ON articles(source_issue_id) WHERE source_issue_id IS NOT NULL;

-- Who said "this helped", so each user counts once.
CREATE TABLE article_helped (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    PRIMARY KEY (article_id, user_id)
) WITHOUT ROWID;

-- Changes the search index has not applied yet: written in the same
-- transaction as the change, deleted once the index has it. Only ids travel:
-- the indexer re-reads the row, so a deleted row leaves the index.
CREATE TABLE search_queue (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('customer', 'prospect', 'contact', 'issue', 'article')),
    ref_id INTEGER NOT NULL
);
