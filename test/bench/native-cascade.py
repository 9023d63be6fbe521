"""Native OpenCV (Debian python3-opencv, one thread) frontal-face cascade timing, the reference the
analyze bench compares opencv.js with: 640 px long side, scale 1.1, minNeighbors 5, equalised gray.
Prints one JSON line: {"version", "msPerImage": [...]}."""
import json
import sys
import time

import cv2

cv2.setNumThreads(1)
cascade = cv2.CascadeClassifier(sys.argv[1])
times = []
for path in sys.argv[2:]:
    image = cv2.imread(path)
    h, w = image.shape[:2]
    scale = 640 / max(h, w)
    if scale < 1:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    start = time.perf_counter()
    cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({"version": cv2.__version__, "msPerImage": times}))
