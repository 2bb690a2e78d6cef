#!/usr/bin/env bash
# Installs the Debian packages the project needs beyond Python, once per machine:
#   postgresql          the PostgreSQL server for the Postgres serving target and its tests
#   openjdk-17-jre      Java for Apache Spark (dbt-spark, session method)
#   chromium            the browser the web page's tests drive through Playwright
# Packages already present are left alone, so this is quick on a prepared machine.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
    echo "system packages: postgresql, java and chromium are present"
    exit 0
fi

echo "system packages: installing ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "error: installing ${need[*]} needs root or sudo" >&2
        exit 1
    }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
