#!/usr/bin/env bash
# Sends one signed request to the agent API of `orfeas serve` and prints the answer's body, with
# openssl and curl alone; the signature is that of docs/SIGNING.md. Exits non-zero on an HTTP
# error (the body, with the error, is still printed).
#
#   ORFEAS_AGENT_KEY=ak_... ORFEAS_AGENT_SECRET=sk_... \
#     clients/curl/agent_request.sh METHOD URL [BODY_FILE]
#
# A body is sent as application/json unless ORFEAS_CONTENT_TYPE says otherwise. The secret is
# passed to `openssl dgst -hmac` on its command line, so other users of this machine may see it in
# the process list for that moment.
set -euo pipefail

if (($# < 2 || $# > 3)); then
  echo "usage: $0 METHOD URL [BODY_FILE]  (env ORFEAS_AGENT_KEY, ORFEAS_AGENT_SECRET)" >&2
  exit 2
fi
method=$1 url=$2 body_file=${3:-}
: "${ORFEAS_AGENT_KEY:?set ORFEAS_AGENT_KEY}" "${ORFEAS_AGENT_SECRET:?set ORFEAS_AGENT_SECRET}"

# The request target: the URL after scheme://host[:port], "/" when it has no path.
rest=${url#*://}
if [[ $rest == */* ]]; then target=/${rest#*/}; else target=/; fi
path=${target%%\?*}
# The canonical query: the pieces between '&' (empty ones kept), sorted bytewise, joined with '&'.
query=
if [[ $target == *\?* ]]; then
  query=$(tr '&' '\n' <<<"${target#*\?}" | LC_ALL=C sort | paste -sd '&' -)
fi

if [[ -n $body_file ]]; then
  body_hash=$(sha256sum <"$body_file" | cut -d' ' -f1)
else
  body_hash=$(printf '' | sha256sum | cut -d' ' -f1)
fi
timestamp=$(date +%s)
# 24 random bytes in URL-safe base64: 32 characters of [A-Za-z0-9_-].
nonce=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')

string_to_sign=$(printf 'ORFEAS-HMAC-SHA256\n%s\n%s\n%s\n%s\n%s\n%s' \
  "$method" "$path" "$query" "$timestamp" "$nonce" "$body_hash")
signature=$(printf '%s' "$string_to_sign" |
  openssl dgst -sha256 -hmac "$ORFEAS_AGENT_SECRET" -r | cut -d' ' -f1)

request=(curl -sS --globoff --path-as-is --fail-with-body -X "$method"
  -H "X-Agent-API-Key: $ORFEAS_AGENT_KEY" -H "X-Agent-Timestamp: $timestamp"
  -H "X-Agent-Nonce: $nonce" -H "X-Agent-Signature: $signature")
if [[ -n $body_file ]]; then
  request+=(-H "Content-Type: ${ORFEAS_CONTENT_TYPE:-application/json}"
    --data-binary "@$body_file")
fi
"${request[@]}" "$url"
