-- Attachments and comments on records (issue 15).
--
-- A file's content lives once under <data>/files/ named by its SHA-256; a
-- blob row counts it for the quota. An attachment is one use of a blob on
-- one record. The record is a real foreign key (one column per kind, exactly
-- one set) so that the recycle bin, erasure and merging, which follow the
-- schema's foreign keys, take the attachments with their record without
-- code of their own. Blobs have no foreign key: the clean-up job forgets a
-- blob that no attachment and no recycle-bin entry names.
CREATE TABLE file_blobs (
    hash       TEXT PRIMARY KEY, -- SHA-256, lower-case hex
    size       INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE attachments (
    id             INTEGER PRIMARY KEY,
    hash           TEXT NOT NULL,
    name           TEXT NOT NULL,   -- for display only, never a path
    size           INTEGER NOT NULL,
    mime           TEXT NOT NULL,   -- sniffed from the content, not the browser's word
    customer_id    INTEGER REFERENCES customers(id) ON DELETE CASCADE,  -- customers and prospects
    contact_id     INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
    activity_id    INTEGER REFERENCES activities(id) ON DELETE CASCADE,
    opportunity_id INTEGER REFERENCES opportunities(id) ON DELETE CASCADE,
    campaign_id    INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    issue_id       INTEGER REFERENCES issues(id) ON DELETE CASCADE,
    handling_id    INTEGER REFERENCES issue_handlings(id) ON DELETE CASCADE,
    article_id     INTEGER REFERENCES articles(id) ON DELETE CASCADE,
    created_by     INTEGER REFERENCES users(id),
    created_at     TEXT NOT NULL,
    CHECK ((customer_id IS NOT NULL) + (contact_id IS NOT NULL) + (activity_id IS NOT NULL) +
           (opportunity_id IS NOT NULL) + (campaign_id IS NOT NULL) + (issue_id IS NOT NULL) +
           (handling_id IS NOT NULL) + (article_id IS NOT NULL) = 1)
);
CREATE INDEX attachments_customer ON attachments(customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX attachments_contact ON attachments(contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX attachments_activity ON attachments(activity_id) WHERE activity_id IS NOT NULL;
CREATE INDEX attachments_opportunity ON attachments(opportunity_id) WHERE opportunity_id IS NOT NULL;
CREATE INDEX attachments_campaign ON attachments(campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX attachments_issue ON attachments(issue_id) WHERE issue_id IS NOT NULL;
CREATE INDEX attachments_handling ON attachments(handling_id) WHERE handling_id IS NOT NULL;
CREATE INDEX attachments_article ON attachments(article_id) WHERE article_id IS NOT NULL;
CREATE INDEX attachments_hash ON attachments(hash);

-- Comments: the same one-column-per-kind shape. A deleted comment keeps its
-- row (deleted_at) so the thread and its history stay readable.
CREATE TABLE comments (
    id             INTEGER PRIMARY KEY,
    body           TEXT NOT NULL,
    customer_id    INTEGER REFERENCES customers(id) ON DELETE CASCADE,
    opportunity_id INTEGER REFERENCES opportunities(id) ON DELETE CASCADE,
    issue_id       INTEGER REFERENCES issues(id) ON DELETE CASCADE,
    article_id     INTEGER REFERENCES articles(id) ON DELETE CASCADE,
    author_id      INTEGER NOT NULL REFERENCES users(id),
    created_at     TEXT NOT NULL,
    edited_at      TEXT,
    deleted_at     TEXT,
    CHECK ((customer_id IS NOT NULL) + (opportunity_id IS NOT NULL) + (issue_id IS NOT NULL) +
           (article_id IS NOT NULL) = 1)
);
CREATE INDEX comments_customer ON comments(customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX comments_opportunity ON comments(opportunity_id, id) WHERE opportunity_id IS NOT NULL;
CREATE INDEX comments_issue ON comments(issue_id, id) WHERE issue_id IS NOT NULL;
CREATE INDEX comments_article ON comments(article_id, id) WHERE article_id IS NOT NULL;

-- Every earlier text of an edited or deleted comment.
CREATE TABLE comment_versions (
    id         INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX comment_versions_comment ON comment_versions(comment_id, id);
