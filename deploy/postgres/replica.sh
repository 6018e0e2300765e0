#!/bin/sh
# The hot standby: on an empty data directory, copy the primary and follow it (streaming replication,
# a replication slot so the primary keeps the WAL the replica still needs); then run as a read-only standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --host=postgres --username=replicator \
        --pgdata="$PGDATA" --wal-method=stream --write-recovery-conf --create-slot --slot=replica1; do
    echo "waiting for the primary"; sleep 2
  done
  chmod 0700 "$PGDATA"
fi
# hot_standby_feedback: the primary keeps the row versions the standby's reads still see, so replaying
# its cleanup does not cancel a long regulator export (LEDGER_DATABASE_READ_URL reads from here).
exec postgres -c hot_standby=on -c hot_standby_feedback=on
