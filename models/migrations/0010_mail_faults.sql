-- Mail that survives SMTP faults. A campaign whose sending the server
-- refused (our sender or login, not a recipient) is paused with the reason;
-- notifications can be about something other than a plan (a mail problem
-- for the administrators), with their own text and link.
ALTER TABLE campaigns ADD COLUMN mail_problem TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN link TEXT NOT NULL DEFAULT '';
