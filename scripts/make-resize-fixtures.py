"""Makes the PIL reference outputs that src/core/sam/preprocess.test.ts compares against.

SAM's ResizeLongestSide resizes with PIL's bilinear filter; these fixtures are PIL's own output
(Debian's python3-pil), an independent reference for the TypeScript resampler.
Run: /usr/bin/python3 scripts/make-resize-fixtures.py
"""
from PIL import Image

OUT = 'src/core/sam/fixtures/'
cat = Image.open('public/samples/chelsea.png').convert('RGB')  # 451x300: upscaled to 1024x681
cat.resize((1024, 681), Image.BILINEAR).save(OUT + 'chelsea_1024x681_pil.png')

# a wide strip larger than 1024: downscaled with antialiasing
astro = Image.open('public/samples/astronaut.png').convert('RGB')
strip = astro.crop((0, 200, 512, 273)).resize((2100, 300), Image.NEAREST)
strip.save(OUT + 'strip_2100x300.png')
strip.resize((1024, 146), Image.BILINEAR).save(OUT + 'strip_1024x146_pil.png')
