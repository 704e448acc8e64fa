"""Paper ballots: printed with serials (:mod:`.printing`), keyed by two clerks each on their
own (:mod:`.entries`), their entries sealed while they wait (:mod:`.sealing`), differences
decided by a third person (:mod:`.adjudication`), and settled into the same ballot box as
the tablets' ballots (:mod:`.settling`)."""
