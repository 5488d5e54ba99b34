#!/usr/bin/env bash
# Set everything up, then show the most complete thing voiceshop does today on the bundled shops:
# load them, browse the catalog, take an order and follow it to ready.
# The demo keeps its own database in .demo/ (set VOICESHOP_DB to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VOICESHOP_DB="${VOICESHOP_DB:-$PWD/.demo/voiceshop.db}"

if [[ "${1:-}" == serve ]]; then
  # `bash scripts/demo.sh serve [--port N]`: the shop's side on the bundled shops, on this machine only
  # (order board, web chat, JSON API) with a fresh staff token for the board; Ctrl-C stops it.
  port=8000
  [[ "${2:-}" == --port && -n "${3:-}" ]] && port="$3"
  .venv/bin/voiceshop shop load examples/corner-store >/dev/null
  .venv/bin/voiceshop shop load examples/coffee-bar >/dev/null
  token=$(.venv/bin/voiceshop staff add demo 2>/dev/null)
  echo
  echo "Order board (staff): http://127.0.0.1:$port/board   sign in with the token $token"
  echo "Web chat (shoppers): http://127.0.0.1:$port/chat?shop=coffee-bar   (or ?shop=corner-store)"
  echo "JSON API:            http://127.0.0.1:$port/api/v1/openapi.json"
  echo
  exec .venv/bin/voiceshop serve --port "$port"
fi
vs() {
  echo
  printf '$ voiceshop'
  for arg in "$@"; do
    if [[ "$arg" =~ [^A-Za-z0-9_./=:-] ]]; then printf ' "%s"' "$arg"; else printf ' %s' "$arg"; fi
  done
  echo
  .venv/bin/voiceshop "$@"
}

vs shop validate examples/corner-store
vs shop load examples/corner-store
vs catalog search "tooth paste"
vs catalog search "double a batteries"
vs shop load examples/coffee-bar
vs catalog show DRK-LATTE
token="demo-$(date +%s)"
vs orders place "2 x latte, size=large, shots=double shot, milk=soy milk (a bit of), sweetener=brown sugar (some)" \
  "blueberry muffin" --coupon TREAT2 --token "$token"
number=$(.venv/bin/voiceshop orders place "latte, size=large" --token "$token" --json \
  | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["order"]["number"])')
echo; echo "(placing again with the same checkout token returns the same order: $number)"
vs orders advance "$number"
vs orders advance "$number"
vs orders advance "$number"
vs orders show "$number"
vs db info

echo; echo "Understanding what a shopper says (as a speech recognizer writes it):"
printf '%s\n' "um can i get to large soy lattes and a croissant please" "make that a larg" \
  "how much is a capuccino" "use code morning ten" "and now the weather for tuesday" \
  | .venv/bin/voiceshop understand --shop examples/coffee-bar
printf '%s\n' "i need tooth paste and for bananas" "a pack of double a batteries" "are you open now" \
  | .venv/bin/voiceshop understand --shop examples/corner-store

echo; echo "A conversation at the coffee bar, from greeting to order number:"
vs chat --shop examples/coffee-bar --device demo-counter --script examples/coffee-bar/chat-example.txt
printf '%s\n' "i need toothpaste" "the second one" "and five packs of double a batteries" "are you open now" \
  "what's in my cart" "check out" "express" "yes" "where is my order" \
  | .venv/bin/voiceshop chat --shop examples/corner-store --device demo-store

echo; echo "A spoken order: espeak-ng plays the shopper into a WAV file, voiceshop hears it and answers aloud"
echo "(replies written to .demo/replies/; with a microphone and speaker: voiceshop run --shop examples/coffee-bar)"
mkdir -p .demo/replies
.venv/bin/python - <<'PY'
import subprocess
import numpy as np
from voiceshop.audio.pcm import read_wav_bytes, silence, write_wav
lines = ["okay nabu", "two large soy lattes and a blueberry muffin", "that's all", "i'll pick it up", "yes"]
parts = [silence(0.8)]
for line in lines:
    spoken = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "--stdout", line], capture_output=True, check=True).stdout
    parts += [read_wav_bytes(spoken), silence(1.2)]
write_wav(".demo/shopper.wav", np.concatenate(parts))
PY
rm -f .demo/replies/*.wav
vs run --shop examples/coffee-bar --device demo-kiosk --input .demo/shopper.wav --out .demo/replies
vs doctor
