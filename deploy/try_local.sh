#!/bin/sh
# 在一台机器上试一遍 docs/deployment.md 的部署：PostgreSQL、两个应用进程、Redis 实时事件、
# nginx（deploy/nginx.conf，自签名证书）在前，然后用压测工具通过 nginx 投票并核对。
# Try the deployment of docs/deployment.md on one machine: PostgreSQL, two app processes,
# live events through Redis, nginx in front (deploy/nginx.conf with a self-signed
# certificate), then the load tool casting through nginx and checking the published box.
#
#   deploy/try_local.sh [BALLOTS] [TABLETS]        # from the repository root
#
# Needs nginx, openssl, psql, a PostgreSQL server and Redis (REDBENCH_PG, default
# postgresql+asyncpg://postgres@127.0.0.1:5432/redbench_deploy, is dropped and created
# again; REDBENCH_REDIS_URL, default redis://127.0.0.1:6379/0). Ports 18001, 18002 (apps)
# and 18443, 18080 (nginx) must be free. Everything started is stopped at the end.
set -eu

ballots=${1:-20000}
tablets=${2:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${REDBENCH_BIN:-$root/.venv/bin}
pg=${REDBENCH_PG:-postgresql+asyncpg://postgres@127.0.0.1:5432/redbench_deploy}
work=$(mktemp -d /tmp/redbench-deploy-XXXXXX)
pids=""

stop() {
    [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "logs kept in $work"
}
trap stop EXIT INT TERM

# a fresh database (its name is the URL's last part)
name=${pg##*/}
admin="postgresql://${pg#*://}"
admin="${admin%/*}/postgres"
psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
psql -q "$admin" -c "CREATE DATABASE $name"

# every app process shares the database, the secret and Redis
export REDBENCH_DATABASE_URL="$pg"
export REDBENCH_SECRET
REDBENCH_SECRET=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
export REDBENCH_EVENTS=redis
password=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))')
"$bin/redbench" db upgrade >/dev/null
"$bin/redbench" user add load --role admin --password "$password" >/dev/null

for port in 18001 18002; do
    "$bin/redbench" serve --port "$port" --trusted-proxy 127.0.0.1 \
        >"$work/app-$port.log" 2>&1 &
    pids="$pids $!"
done
for port in 18001 18002; do
    for _ in $(seq 200); do
        if curl -sf "http://127.0.0.1:$port/api/v1/ping" >/dev/null; then break; fi
        sleep 0.1
    done
done

# the committed site file, with this run's certificate, ports and app addresses
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null
sed -e "s#/etc/redbench/tls/#$work/#" \
    -e "s/listen 443 ssl/listen 127.0.0.1:18443 ssl/" \
    -e "s/listen 80;/listen 127.0.0.1:18080;/" \
    -e "/listen \[::\]/d" \
    -e "s/127.0.0.1:8001/127.0.0.1:18001/" \
    -e "s/127.0.0.1:8002/127.0.0.1:18002/" \
    "$root/deploy/nginx.conf" >"$work/redbench.conf"
cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
worker_processes 1;
events { worker_connections 1024; }
http { include $work/redbench.conf; }
EOF
nginx -t -c "$work/nginx.conf" 2>>"$work/nginx-error.log"
nginx -c "$work/nginx.conf"

curl -skf https://127.0.0.1:18443/api/v1/ping >/dev/null
curl -s -o /dev/null -w "port 18080 answers %{http_code} to %{redirect_url}\n" \
    http://127.0.0.1:18080/console
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$root"
"$bin/python" -m tests.load.tablets --url https://127.0.0.1:18443 --insecure \
    --user load --password "$password" --ballots "$ballots" --tablets "$tablets"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
