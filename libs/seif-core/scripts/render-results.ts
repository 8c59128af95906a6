/**
 * Renders reconstructions next to their photos: `npx tsx scripts/render-results.ts [out.png] [photo ids...]`
 * (default docs/images/flame-results.png and four sample portraits). Per row: the SeIF-frame crop of the photo,
 * the textured head from the front, and a three-quarter view; 256 px each.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetPath } from '@seif/models';
import sharp from 'sharp';
import { composeAffine, warpAffineToTensor } from '../src/image/image.js';
import { reconstruct, reconstructionPipeline } from '../src/pipeline/reconstruct.js';
import { renderHead } from '../src/render/head.js';
import { disposeModels } from '../src/runtime/registry.js';
import { DecodeStage } from '../src/stages/decode.js';
import { frontalVertices } from '../src/stages/export.js';
import { cropToFrameAffine } from '../src/stages/normalise.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const [outArg, ...ids] = process.argv.slice(2);
const out = outArg ?? path.join(root, 'docs/images/flame-results.png');
const photos = ids.length > 0 ? ids : ['photo-city-portrait', 'photo-model-face', 'photo-woman-portrait', 'photo-luciano'];
const S = 256;

await reconstructionPipeline().warmUp();
const tiles: { input: Buffer; left: number; top: number }[] = [];
for (const [row, id] of photos.entries()) {
  const file = await assetPath(id);
  const result = await reconstruct(file, { faces: 'largest' });
  const image = await new DecodeStage().run(file);
  const frameToImage = result.params.camera.frameToImage as [number, number, number, number, number, number];
  const crop = warpAffineToTensor(image, composeAffine(frameToImage, cropToFrameAffine(S)), S, S, undefined, { border: 'zero', scale: 255 });
  const texturePng = result.files.find((f) => f.kind === 'TEXTURE')!.data;
  const { data, info } = await sharp(texturePng).raw().toBuffer({ resolveWithObject: true });
  const texture = { data: new Uint8Array(data), width: info.width, height: info.height };
  const vertices = frontalVertices(result.fit);
  const views = [0, 35].map((yaw) => renderHead(result.fit.model, vertices, { size: S, yawDegrees: yaw, texture, cavity: result.params.texture!.mouthColor as [number, number, number] }));
  const raw = (rgb: Uint8Array) => sharp(Buffer.from(rgb), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
  tiles.push({ input: await raw(Uint8Array.from(crop, (x) => Math.max(0, Math.min(255, Math.round(x))))), left: 0, top: row * S });
  for (const [k, view] of views.entries()) tiles.push({ input: await raw(view.data), left: (k + 1) * S, top: row * S });
  console.log(`${id}: ${result.timings.total!.toFixed(0)} ms, fit rmse ${result.params.fit.rmse.toFixed(4)}, texture from photo ${(100 * result.params.texture!.coverage.photo).toFixed(0)} %`);
}
await sharp({ create: { width: 3 * S, height: photos.length * S, channels: 3, background: '#ffffff' } }).composite(tiles).png().toFile(out);
console.log(`wrote ${out}`);
await disposeModels();
