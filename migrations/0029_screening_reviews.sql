-- Screening review (issue 22 item 5): a reviewer's decision on one hit — a list entry found when
-- screening a registered party or a free-text name — journalled as `screening.reviewed` and
-- projected here. Later screenings of the same subject read the latest decision for each entry:
-- a false positive is set aside (shown, not counted as a hit), a true match stays a hit.
--
-- subject_kind 'party': subject is the party id; 'name': subject is the normalised name key
-- (the matcher's sorted compact form, so "Acme Ltd" and "ACME LIMITED" are one subject).

create table screening_reviews (
  seq bigint primary key references journal (seq),
  subject_kind text not null check (subject_kind in ('party', 'name')),
  subject text not null check (length(subject) between 1 and 1000),
  -- The name as the reviewer screened it (the party's name, or the free text).
  subject_name text not null,
  list text not null check (list ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  entry_id text not null,
  entry_name text not null,
  score double precision not null check (score >= 0 and score <= 1),
  decision text not null check (decision in ('false-positive', 'true-match')),
  reason text not null check (length(reason) between 1 and 2000),
  -- The list snapshot in force when the decision was made.
  snapshot text not null check (snapshot ~ '^[0-9a-f]{64}$'),
  reviewer text not null,
  reviewed_at timestamptz not null
);

create index screening_reviews_subject_idx on screening_reviews (subject_kind, subject, list, entry_id, seq desc);
