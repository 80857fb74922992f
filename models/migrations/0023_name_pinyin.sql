-- Names in pinyin (issue 17, models/pinyin.go): lists sort names in pinyin
-- order, and find customers, prospects and contacts by the pinyin of their
-- names or its initials. The program fills the columns for existing rows
-- on its first start (fillPinyin, through the partial "todo" indexes) and
-- at every write after that.
ALTER TABLE customers ADD COLUMN name_pinyin TEXT; -- the sort key: "shang hai hong da "
ALTER TABLE customers ADD COLUMN name_py TEXT;     -- the search forms: "shanghaihongda shhd"
ALTER TABLE contacts ADD COLUMN name_py TEXT;
CREATE INDEX customers_pinyin_todo ON customers(id) WHERE name_pinyin IS NULL;
CREATE INDEX contacts_pinyin_todo ON contacts(id) WHERE name_py IS NULL;

-- The indexes that served "sorted by name" serve it in pinyin now.
DROP INDEX customers_kind_name;
DROP INDEX customers_kind_owner;
DROP INDEX customers_kind_industry;
DROP INDEX customers_kind_grade;
DROP INDEX customers_kind_region;
DROP INDEX customers_kind_source;
DROP INDEX customers_kind_stage;
CREATE INDEX customers_kind_name     ON customers(kind, name_pinyin, id);
CREATE INDEX customers_kind_owner    ON customers(kind, owner_id, name_pinyin, id);
CREATE INDEX customers_kind_industry ON customers(kind, industry_id, name_pinyin, id);
CREATE INDEX customers_kind_grade    ON customers(kind, grade_id, name_pinyin, id);
CREATE INDEX customers_kind_region   ON customers(kind, region_id, name_pinyin, id);
CREATE INDEX customers_kind_source   ON customers(kind, source_id, name_pinyin, id);
CREATE INDEX customers_kind_stage    ON customers(kind, stage_id, name_pinyin, id);
