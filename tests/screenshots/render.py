#!/usr/bin/env python3
"""Renders a `tmux capture-pane -e -p` dump (text with SGR escapes) to a PNG.

Usage: render.py CAPTURE.txt OUT.png COLUMNS ROWS
Wide (CJK) characters take two cells, as in the terminal. Fonts: DejaVu Sans
Mono for Latin, WenQuanYi Zen Hei for CJK (Debian: fonts-dejavu-core,
fonts-wqy-zenhei).
"""
import re, sys, unicodedata
from PIL import Image, ImageDraw, ImageFont

CELL_W, CELL_H, SIZE = 10, 20, 16
PALETTE = {  # the 16 basic colours (a dark theme)
    0: (30, 30, 30), 1: (205, 49, 49), 2: (13, 188, 121), 3: (229, 229, 16), 4: (36, 114, 200),
    5: (188, 63, 188), 6: (17, 168, 205), 7: (229, 229, 229), 8: (102, 102, 102), 9: (241, 76, 76),
    10: (35, 209, 139), 11: (245, 245, 67), 12: (59, 142, 234), 13: (214, 112, 214), 14: (41, 184, 219), 15: (255, 255, 255),
}
FG, BG = (220, 220, 220), (24, 24, 28)

def font(paths, size):
    for p in paths:
        try:
            return ImageFont.truetype(p, size)
        except OSError:
            continue
    return ImageFont.load_default()

LATIN = font(["/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"], SIZE)
LATIN_B = font(["/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"], SIZE)
CJK = font(["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"], SIZE)

def wide(ch):
    return unicodedata.east_asian_width(ch) in ("W", "F")

def main(src, out, cols, rows):
    cols, rows = int(cols), int(rows)
    img = Image.new("RGB", (cols * CELL_W + 16, rows * CELL_H + 16), BG)
    d = ImageDraw.Draw(img)
    lines = open(src, encoding="utf-8", errors="replace").read().split("\n")[:rows]
    for y, line in enumerate(lines):
        st = {"fg": None, "bg": None, "bold": False, "rev": False, "dim": False, "ul": False, "strike": False}
        x = 0
        for m in re.finditer(r"\x1b\[([0-9;:]*)m|([^\x1b])", line):
            if m.group(1) is not None:
                codes = [int(c) if c.isdigit() else 0 for c in re.split("[;:]", m.group(1) or "0")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0: st = {k: (None if k in ("fg", "bg") else False) for k in st}
                    elif c == 1: st["bold"] = True
                    elif c == 2: st["dim"] = True
                    elif c == 4: st["ul"] = True
                    elif c == 7: st["rev"] = True
                    elif c == 9: st["strike"] = True
                    elif c == 22: st["bold"] = st["dim"] = False
                    elif c == 24: st["ul"] = False
                    elif c == 27: st["rev"] = False
                    elif c == 29: st["strike"] = False
                    elif 30 <= c <= 37: st["fg"] = PALETTE[c - 30]
                    elif 90 <= c <= 97: st["fg"] = PALETTE[c - 90 + 8]
                    elif 40 <= c <= 47: st["bg"] = PALETTE[c - 40]
                    elif 100 <= c <= 107: st["bg"] = PALETTE[c - 100 + 8]
                    elif c == 39: st["fg"] = None
                    elif c == 49: st["bg"] = None
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        n = codes[i + 2]
                        st["fg" if c == 38 else "bg"] = PALETTE.get(n, FG)
                        i += 2
                    i += 1
                continue
            ch = m.group(2)
            w = 2 if wide(ch) else 1
            fg, bg = st["fg"] or FG, st["bg"] or BG
            if st["rev"]:
                fg, bg = bg, fg
            if st["dim"]:
                fg = tuple(int(v * 0.6) for v in fg)
            px, py = 8 + x * CELL_W, 8 + y * CELL_H
            d.rectangle([px, py, px + w * CELL_W - 1, py + CELL_H - 1], fill=bg)
            f = CJK if w == 2 or ord(ch) > 0x2FFF else (LATIN_B if st["bold"] else LATIN)
            d.text((px, py + 1), ch, font=f, fill=fg)
            if st["ul"]:
                d.line([px, py + CELL_H - 2, px + w * CELL_W, py + CELL_H - 2], fill=fg)
            if st["strike"]:
                d.line([px, py + CELL_H // 2, px + w * CELL_W, py + CELL_H // 2], fill=fg)
            x += w
    img.save(out)

if __name__ == "__main__":
    main(*sys.argv[1:5])
