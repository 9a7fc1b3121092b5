#!/bin/bash
# gen.sh OUTDIR - the logo corpus's drawn part, with ImageMagick and the
# DejaVu fonts: a fictional school crest in four official variants (the
# references), JPEG copies of them, other schools' crests of the same shape,
# colours and fonts, and text-heavy letterheads. Everything else (photos,
# screenshots, pastes, warps) the measuring program makes from these with a
# seeded generator. Few convert runs: each draws many files with -write.
set -eu
out=$1
mkdir -p "$out"
cd "$out"
[ -e done ] && exit 0
FD=/usr/share/fonts/truetype/dejavu
serif=$FD/DejaVuSerif-Bold.ttf
sans=$FD/DejaVuSans-Bold.ttf
book=$FD/DejaVuSans.ttf
shield="path 'M 24,24 L 376,24 L 376,236 Q 376,410 200,466 Q 24,410 24,236 Z'"

# crest FILE FIELD TRIM CHARGE LETTERS
crest() {
  convert -size 400x490 xc:none \
    -fill "$2" -stroke "$3" -strokewidth 14 -draw "$shield" \
    -stroke none -fill "$3" -draw "$4" \
    -fill white -stroke "$3" -strokewidth 2 -font "$serif" -pointsize 96 -gravity center \
    -annotate +0+92 "$5" -depth 8 +repage "$1"
}
chevron="polygon 200,70 336,250 282,250 200,146 118,250 64,250"
crest crest.png '#1f3a93' '#d4a51c' "$chevron" "HA"
convert crest.png -resize x220 \
  \( -size 760x220 xc:none -font "$sans" -pointsize 70 -fill '#1f3a93' -gravity west \
     -annotate +24-38 HARTWELL -font "$book" -pointsize 52 -annotate +26+48 ACADEMY \) +append lockup.png
convert crest.png -colorspace gray -channel RGB -threshold 45% +channel mono.png
convert mono.png -channel RGB -negate +channel reversed.png

# Other schools: the same shield, near colours and the same fonts.
i=0
for field in '#1f3a93' '#2a4aa0' '#7a1f2b' '#1d5e3a'; do
  for ch in "circle 200,170 200,90" "polygon 200,60 220,150 310,150 238,200 262,290 200,236 138,290 162,200 90,150 180,150" \
            "rectangle 180,60 220,300 rectangle 90,150 310,190" "polygon 60,80 340,80 200,280"; do
    for letters in "HS" "BW" "KC"; do
      i=$((i+1))
      [ $((i % 2)) = 0 ] && trim='#d4a51c' || trim='#e0e0e0'
      crest "other$i.png" "$field" "$trim" "$ch" "$letters"
    done
  done
done
# The crest's own chevron with its letters swapped: the hardest negative.
i=$((i+1)); crest "other$i.png" '#1f3a93' '#d4a51c' "$chevron" "AH"
# Our crest with one letter changed: a derivative of the logo more than
# another school's; measured and reported apart.
for letters in "HC" "NA"; do
  crest "near-$letters.png" '#1f3a93' '#d4a51c' "$chevron" "$letters"
done

# Letterheads: pages of text, some headed by another school's name.
words="Dear Parents and Carers, we are writing to let you know about the arrangements for the end of term. \
The school will close at 1.30pm on Friday. Please make sure that your child brings home all PE kit and \
reading books. Our uniform shop is open on Tuesday and Thursday mornings. Thank you for your support."
for n in 1 2 3 4 5 6 7 8; do
  ps=$((13 + n % 4 * 3))
  text=$(for k in $(seq 1 $((n % 3 + 3))); do echo "$words"; done | fold -s -w $((1100 / ps)))
  convert -size 820x1160 xc:white -fill '#202020' -font "$book" -pointsize $ps -annotate +40+150 "$text" \
    -fill '#1f3a93' -draw "rectangle 0,0 820,90" -fill white -font "$sans" -pointsize 40 -annotate +30+60 "BROOKFIELD SCHOOL $n" \
    -depth 8 "letter$n.png"
done

# JPEG copies of each reference at several sizes and qualities, read back.
for ref in crest lockup mono reversed; do
  bg=white; [ $ref = reversed ] && bg='#203040'
  convert $ref.png -background "$bg" -flatten -write mpr:b +delete \
    \( mpr:b -resize 20% -quality 30 -write jpg:$ref-q30-20.jpg +delete \) \
    \( mpr:b -resize 50% -quality 50 -write jpg:$ref-q50-50.jpg +delete \) \
    \( mpr:b -resize 100% -quality 70 -write jpg:$ref-q70-100.jpg +delete \) \
    \( mpr:b -resize 150% -quality 95 -write jpg:$ref-q95-150.jpg +delete \) \
    \( mpr:b -resize 35% -quality 40 -write jpg:$ref-q40-35.jpg +delete \) \
    \( mpr:b -resize 75% -quality 85 -write jpg:$ref-q85-75.jpg +delete \) \
    \( mpr:b -colorspace gray -resize 60% -quality 60 -write jpg:$ref-gray-60.jpg +delete \) \
    mpr:b null:
done
# The measuring program reads PAM (RGBA, no library needed).
mogrify -depth 8 -type TrueColorAlpha -format pam -- *.png *.jpg
touch done
