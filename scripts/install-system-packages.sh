#!/usr/bin/env bash
# Installs the Debian packages the project needs beyond Python, once per machine:
#   postgresql          the PostgreSQL server for the Postgres serving target and its tests
#   openjdk-17-jre      Java 17 for Apache Spark 4 (dbt-spark, session method; pyspark itself
#                       comes from uv.lock)
#   chromium            the browser the web page's tests drive through Playwright
# Packages already present are left alone, so this is quick on a prepared machine.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Spark 4 needs Java 17 or later: an older java on the PATH does not count
java_major() { java -version 2>&1 | sed -nE '1s/.*version "(1\.)?([0-9]+).*/\2/p'; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
    need+=(openjdk-17-jre-headless)
fi
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
