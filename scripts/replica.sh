#!/usr/bin/env bash
# A streaming read replica of this machine's PostgreSQL cluster, for the replica tests (tests/replicas) and the
# benchmark (docs/performance.md). Uses Debian's cluster tools; run as root (or a user that may run them).
#
#   scripts/replica.sh start        create the replica cluster, copy the primary (pg_basebackup -R), start it, wait
#                                   until it is in recovery and has replayed everything the primary had written
#   scripts/replica.sh stop         stop and remove the replica cluster (nothing is left behind)
#   scripts/replica.sh status       the replica's recovery state and lag
#   scripts/replica.sh run CMD...   start, run CMD with DATABASE_REPLICA_URLS pointing at the replica, then remove it
#
# The primary needs a replication entry in pg_hba.conf: when none allows 127.0.0.1, this adds
# "host replication all 127.0.0.1/32 trust" and reloads the primary (no restart). Trust is right only on a machine
# whose local users are all trusted (CI); in production use scram-sha-256 and a replication role (docs/deploy.md).
# Environment: PG_VERSION (newest installed), PRIMARY_CLUSTER (main), PRIMARY_PORT (5432), REPLICA_CLUSTER
# (cosreplica), REPLICA_PORT (5433). `run` derives the replica URL from DATABASE_URL by changing its port.
set -euo pipefail

PG_VERSION=${PG_VERSION:-$(ls /etc/postgresql | sort -n | tail -1)}
PRIMARY_CLUSTER=${PRIMARY_CLUSTER:-main}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_CLUSTER=${REPLICA_CLUSTER:-cosreplica}
REPLICA_PORT=${REPLICA_PORT:-5433}
HBA=/etc/postgresql/$PG_VERSION/$PRIMARY_CLUSTER/pg_hba.conf

primary() { psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -XAtq -c "$1"; }
replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -XAtq -c "$1"; }
exists() { pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $REPLICA_CLUSTER"; }

stop() {
  if exists; then
    echo "Removing the replica cluster $PG_VERSION/$REPLICA_CLUSTER"
    pg_dropcluster --stop "$PG_VERSION" "$REPLICA_CLUSTER"
  fi
}

allow_replication() {
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32' "$HBA"; then
    echo "Allowing replication connections from 127.0.0.1 in $HBA (reload, no restart)"
    printf '%s\n' "host replication all 127.0.0.1/32 trust  # scripts/replica.sh" >>"$HBA"
    primary "SELECT pg_reload_conf()" >/dev/null
  fi
  if [[ "$(primary 'SHOW wal_level')" == minimal || "$(primary 'SHOW max_wal_senders')" == 0 ]]; then
    echo "The primary needs wal_level=replica and max_wal_senders > 0 (a restart); not changed here" >&2
    exit 1
  fi
}

wait_caught_up() {
  for _ in $(seq 120); do
    if [[ "$(replica 'SELECT pg_is_in_recovery()' 2>/dev/null || true)" == t ]]; then
      target=$(primary "SELECT pg_current_wal_lsn()")
      for _ in $(seq 120); do
        behind=$(replica "SELECT pg_wal_lsn_diff('$target', pg_last_wal_replay_lsn())")
        if [[ "${behind%%.*}" -le 0 ]]; then
          echo "Replica on port $REPLICA_PORT is in recovery and caught up with the primary"
          return 0
        fi
        sleep 0.5
      done
      break
    fi
    sleep 0.5
  done
  echo "The replica did not catch up; its log:" >&2
  tail -n 30 "/var/log/postgresql/postgresql-$PG_VERSION-$REPLICA_CLUSTER.log" >&2 || true
  return 1
}

start() {
  stop
  allow_replication
  # A hot standby needs at least the primary's values of these.
  options=()
  for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    options+=(-o "$name=$(primary "SHOW $name")")
  done
  pg_createcluster "$PG_VERSION" "$REPLICA_CLUSTER" -p "$REPLICA_PORT" "${options[@]}" -o hot_standby=on >/dev/null
  # Clients reach the replica as they reach the primary.
  cp "$HBA" "/etc/postgresql/$PG_VERSION/$REPLICA_CLUSTER/pg_hba.conf"
  data=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$REPLICA_CLUSTER" '$1==v && $2==c {print $6}')
  rm -rf "${data:?}"/*
  echo "Copying the primary (port $PRIMARY_PORT) into $data"
  runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data" -R -X stream \
    -c fast --no-sync
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$REPLICA_CLUSTER" start
  wait_caught_up
}

status() {
  if ! exists; then
    echo "no replica cluster"
    return 1
  fi
  replica "SELECT 'in recovery: ' || pg_is_in_recovery() || ', replay paused: ' || pg_is_wal_replay_paused()
           || ', last replayed commit: ' || coalesce(pg_last_xact_replay_timestamp()::text, 'none')"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  run)
    shift
    trap stop EXIT
    start
    url=${DATABASE_URL:?run needs DATABASE_URL (the primary)}
    DATABASE_REPLICA_URLS=$(sed -E "s#(@[^:/]+):$PRIMARY_PORT/#\1:$REPLICA_PORT/#" <<<"$url")
    export DATABASE_REPLICA_URLS COS_REPLICA_CLUSTER="$PG_VERSION $REPLICA_CLUSTER"
    "$@"
    ;;
  *)
    echo "usage: $0 start|stop|status|run CMD..." >&2
    exit 2
    ;;
esac
