-- Alerts can be worked (issue 22, item 4): dismissed with a reason (`alert.dismissed`) as well as
-- resolved with a note (`alert.resolved`), and assigned to a person (`alert.assigned`). All
-- projections of journal records, so a rebuild reproduces them.

alter table alerts drop constraint alerts_status_check;
alter table alerts add constraint alerts_status_check check (status in ('open', 'resolved', 'dismissed'));

-- resolved_seq / resolved_by / resolution now record whichever closed the alert (resolution or dismissal).
alter table alerts drop constraint alerts_check;
alter table alerts add constraint alerts_closed_check check ((status <> 'open') = (resolved_seq is not null));

-- The person the alert is assigned to (the latest assignment), who assigned it and in which journal entry.
alter table alerts add column assigned_to text;
alter table alerts add column assigned_by text;
alter table alerts add column assigned_seq bigint references journal (seq) deferrable initially deferred;
alter table alerts add constraint alerts_assigned_check check ((assigned_to is null) = (assigned_seq is null));

create index alerts_assigned_idx on alerts (assigned_to, seq) where assigned_to is not null;
