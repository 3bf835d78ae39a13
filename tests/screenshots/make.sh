#!/usr/bin/env bash
# Makes screenshots/*.png from the real binary in a real terminal: xterm
# (FreeType: DejaVu Sans Mono, Chinese in Noto Sans Mono CJK SC two cells wide) under
# Xvfb shows a tmux session in which postie runs on the demo mailbox; keys go
# in with tmux send-keys, ImageMagick's `import` captures the xterm window as
# the X server drew it. Run by hand: tests/screenshots/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xterm >/dev/null || need+=(xterm)
command -v import >/dev/null || need+=(imagemagick)
command -v xwininfo >/dev/null || need+=(x11-utils)
command -v tmux >/dev/null || need+=(tmux)
fc-list | grep -q "Noto Sans Mono CJK SC" || need+=(fonts-noto-cjk)
fc-list | grep -q "DejaVu Sans Mono" || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "make.sh: install ${need[*]} first" >&2; exit 1
  fi
fi
cargo build --release --quiet
bin="$PWD/target/release/postie"
work=$(mktemp -d)
display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'tmux -S "$work/sock" kill-server 2>/dev/null || true; kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1
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

# session NAME LANG COMMAND...: postie in a tmux session of its own (no status bar).
session() {
  local name=$1 lang=$2; shift 2
  mkdir -p "$work/$name"
  tmux -S "$work/sock" -f /dev/null new-session -d -s "$name" -x $cols -y $rows \
    "env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=$lang HOME='$work/$name' POSTIE_CONFIG='$work/$name/config.toml' TERM=xterm-256color VISUAL= EDITOR='$work/editor.py' $*"
  tmux -S "$work/sock" set -g status off
}
keys() { # name, keys...
  local name=$1; shift
  for k in "$@"; do tmux -S "$work/sock" send-keys -t "$name" "$k"; sleep 0.3; done
}
# shot NAME FILE: the session as xterm draws it, into screenshots/FILE.png.
shot() {
  local name=$1 file=$2
  sleep 0.7
  xterm -display "$display" -T "shot-$file" -geometry ${cols}x${rows}+0+0 \
    -fa "DejaVu Sans Mono" -fd "Noto Sans Mono CJK SC" -fs 11 -bg black -fg grey90 -bw 0 +sb \
    -xrm 'XTerm*cursorColor: grey90' \
    -e tmux -S "$work/sock" attach -t "$name" &
  local xt=$!
  sleep 2
  local id
  id=$(xwininfo -display "$display" -name "shot-$file" | awk '/Window id:/ {print $4}')
  import -display "$display" -window "$id" "screenshots/$file.png"
  kill $xt 2>/dev/null || true
  wait $xt 2>/dev/null || true
  echo "screenshots/$file.png"
}
mkdir -p screenshots

# English, on the demo.
session en C.UTF-8 "'$bin' --demo"
sleep 1.5
keys en j;                          shot en list
keys en G k Enter;                  shot en reader
keys en q g d j d q;                shot en delete-confirm
keys en c '?';                      shot en help
keys en Escape g j j j j j j j j j Enter v; shot en attachments
keys en Escape h g j j j j j a;     sleep 1; shot en compose
session threads C.UTF-8 "'$bin' --demo"
sleep 1.5; keys threads t;          shot threads threads

# Chinese (LANG=zh_CN.UTF-8), on the demo.
session zh zh_CN.UTF-8 "'$bin' --demo"
sleep 1.5
keys zh j j j;                      shot zh list-zh
keys zh G k k k k k k Enter;        shot zh reader-zh
keys zh q '?';                      shot zh help-zh
keys zh Escape g d j d q;           shot zh delete-confirm-zh

# postie setup: what it proposes for a 163.com address, in both languages.
for lang in C.UTF-8 zh_CN.UTF-8; do
  name=setup; [ "$lang" = zh_CN.UTF-8 ] && name=setup-zh
  session "$name" "$lang" "'$bin' setup"
  sleep 1
  tmux -S "$work/sock" send-keys -t "$name" -l 'someone@163.com'
  tmux -S "$work/sock" send-keys -t "$name" Enter
  sleep 1
  shot "$name" "$name"
done
