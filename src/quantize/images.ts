// Images as representative data: PNG (pngjs) and JPEG (jpeg-js) decoded to RGBA, resized
// bilinearly to the model input's height and width (half-pixel centres, as tf.image.resize and
// PIL do), channels matched to the input (gray <-> RGB; alpha dropped), then normalised per
// channel as (value - mean) / std. Values are 0..255 before normalisation.

import fs from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { err } from '../errors/index.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Decoded pixels: RGBA, 8 bits a channel, row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Largest image we decode (pixels): a representative image far beyond this is a mistake. */
const MAX_PIXELS = 64 * 1024 * 1024;

/** The image files of a directory, sorted by name (so sample order never depends on the disk). */
export function listImages(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw err.badInputData(dir, `cannot read the directory: ${(e as Error).message}`);
  }
  return names
    .filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()))
    .sort()
    .map((n) => path.join(dir, n));
}

export function decodeImage(file: string): Rgba {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw err.badInputData(file, `cannot read: ${(e as Error).message}`);
  }
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      checkSize(file, png.width, png.height);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      checkSize(file, img.width, img.height);
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'TfconvError') throw e;
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw err.badInputData(file, `not a readable ${isPng ? 'PNG' : 'JPEG'} image (${why})`);
  }
  throw err.badInputData(file, 'not a PNG or JPEG image (unknown signature)');
}

function checkSize(file: string, w: number, h: number): void {
  if (!(w > 0 && h > 0)) throw err.badInputData(file, `image has no pixels (${w}x${h})`);
  if (w * h > MAX_PIXELS) throw err.badInputData(file, `image is too large (${w}x${h})`);
}

export interface ImageTarget {
  height: number;
  width: number;
  channels: number;
  /** Per channel (or one value for all): subtracted after resizing. Default 0. */
  mean?: readonly number[];
  /** Per channel (or one value for all): divided by after subtracting the mean. Default 1. */
  std?: readonly number[];
}

/** The image as an HxWxC float32 array, resized, channel-matched and normalised. */
export function imageToTensor(img: Rgba, t: ImageTarget, file: string): Float32Array {
  if (t.channels !== 1 && t.channels !== 3) {
    throw err.badInputData(file, `the model input has ${t.channels} channels; images can feed inputs with 1 (gray) or 3 (RGB) channels`);
  }
  const mean = perChannel(t.mean, t.channels, 0, 'mean');
  const std = perChannel(t.std, t.channels, 1, 'std');
  const out = new Float32Array(t.height * t.width * t.channels);
  const sy = img.height / t.height;
  const sx = img.width / t.width;
  const px = new Float64Array(4);
  for (let y = 0; y < t.height; y++) {
    // Half-pixel centres: output pixel y samples the input at (y + 0.5) * scale - 0.5.
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const dy = fy - y0;
    for (let x = 0; x < t.width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const dx = fx - x0;
      for (let c = 0; c < 4; c++) {
        const a = img.data[(y0 * img.width + x0) * 4 + c];
        const b = img.data[(y0 * img.width + x1) * 4 + c];
        const d = img.data[(y1 * img.width + x0) * 4 + c];
        const e = img.data[(y1 * img.width + x1) * 4 + c];
        px[c] = (a * (1 - dx) + b * dx) * (1 - dy) + (d * (1 - dx) + e * dx) * dy;
      }
      const o = (y * t.width + x) * t.channels;
      if (t.channels === 3) {
        for (let c = 0; c < 3; c++) out[o + c] = (px[c] - mean[c]) / std[c];
      } else {
        // tf.image.rgb_to_grayscale's weights (ITU-R 601).
        // A gray source (R = G = B) stays exactly itself.
        const gray = px[0] === px[1] && px[1] === px[2] ? px[0] : 0.2989 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        out[o] = (gray - mean[0]) / std[0];
      }
    }
  }
  return out;
}

function perChannel(v: readonly number[] | undefined, channels: number, dflt: number, what: string): number[] {
  if (v === undefined || v.length === 0) return new Array<number>(channels).fill(dflt);
  if (what === 'std' && v.some((x) => x === 0)) throw err.badOption(what, 'must not be 0');
  if (v.length === 1) return new Array<number>(channels).fill(v[0]);
  if (v.length !== channels) throw err.badOption(what, `has ${v.length} values but the model input has ${channels} channels`);
  return v.slice();
}
