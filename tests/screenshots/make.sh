#!/usr/bin/env bash
# Makes screenshots/*.png from the real binary: postie runs on the demo
# mailbox in tmux, keys are sent, the screen is captured with its colours and
# drawn to PNG (tests/screenshots/render.py). Run by hand: tests/screenshots/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" = 0 ]; then
  missing=()
  command -v tmux >/dev/null || missing+=(tmux)
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || missing+=(fonts-dejavu-core)
  if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; fi
fi
python3 -c "import PIL" 2>/dev/null || pip install -q pillow
cargo build --release --quiet
bin="$PWD/target/release/postie"
work=$(mktemp -d)
trap 'tmux -S "$work/sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
cols=100 rows=30
# The editor for the compose shot: writes one line above the quote, as a user would.
cat > "$work/editor.py" <<'PY'
#!/usr/bin/python3
import sys
p = sys.argv[1]
t = open(p, encoding='utf-8').read()
open(p, 'w', encoding='utf-8').write(t.replace('\n\n', '\n\n好的，收到。周五前把修改意见发给你。\n', 1))
PY
chmod +x "$work/editor.py"
tmux -S "$work/sock" -f /dev/null new-session -d -s shot -x $cols -y $rows \
  "env HOME='$work' TERM=xterm-256color VISUAL= EDITOR='$work/editor.py' '$bin' --demo"
shot() { # name, keys...
  local name=$1; shift
  for k in "$@"; do tmux -S "$work/sock" send-keys -t shot "$k"; sleep 0.3; done
  sleep 0.7
  tmux -S "$work/sock" capture-pane -e -p -N -t shot > "$work/$name.txt"
  python3 tests/screenshots/render.py "$work/$name.txt" "screenshots/$name.png" $cols $rows
  echo "screenshots/$name.png"
}
mkdir -p screenshots
sleep 1.5
shot list j
shot reader G k Enter
shot delete-confirm q g d j d q
shot help c '?'
shot attachments Escape g j j j j j j j j j Enter v
shot compose Escape h g j j j j j a
# postie setup, in a terminal of its own: what it proposes for a 163.com address.
tmux -S "$work/sock" new-session -d -s setup -x $cols -y $rows \
  "env HOME='$work' POSTIE_CONFIG='$work/new-config.toml' TERM=xterm-256color '$bin' setup"
sleep 1
tmux -S "$work/sock" send-keys -t setup -l 'someone@163.com'
tmux -S "$work/sock" send-keys -t setup Enter
sleep 1
tmux -S "$work/sock" capture-pane -e -p -N -t setup > "$work/setup.txt"
python3 tests/screenshots/render.py "$work/setup.txt" screenshots/setup.png $cols $rows
echo screenshots/setup.png
# Threads on the demo (t), in a reader of its own.
tmux -S "$work/sock" new-session -d -s threads -x $cols -y $rows \
  "env HOME='$work/t' TERM=xterm-256color '$bin' --demo"
sleep 1.5
tmux -S "$work/sock" send-keys -t threads t
sleep 1
tmux -S "$work/sock" capture-pane -e -p -N -t threads > "$work/threads.txt"
python3 tests/screenshots/render.py "$work/threads.txt" screenshots/threads.png $cols $rows
echo screenshots/threads.png
