#!/usr/bin/env bash
# Draws examples/tower-stack/preview.mp4, the card preview of the Tower Stack demo: a stack of
# blocks in the icon's colours with the top block sliding, 4 s at 24 fps, looped by the host.
# Made from ffmpeg's own colour sources and drawings: no outside media.
set -euo pipefail
out="$(dirname "$0")/../examples/tower-stack/preview.mp4"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "color=c=0x1b1740:s=240x426:r=24:d=4" \
  -f lavfi -i "color=c=0x45b7d0:s=108x36:r=24:d=4" \
  -filter_complex "[0]drawbox=x=0:y=340:w=240:h=86:color=0x3a3180:t=fill,drawbox=x=50:y=304:w=140:h=36:color=0x8a4bb0:t=fill,drawbox=x=58:y=268:w=124:h=36:color=0x4cc48e:t=fill,drawbox=x=66:y=232:w=108:h=36:color=0x98a83a:t=fill[base];[1]drawbox=x=0:y=0:w=108:h=5:color=0x9fe3f0:t=fill[block];[base][block]overlay=x='66+60*sin(2*PI*t/2)':y=196:eval=frame" \
  -c:v libx264 -pix_fmt yuv420p -profile:v baseline -crf 30 -movflags +faststart -an "$out"
