/**
 * FLAME-only against SeIF, side by side: `node --import tsx libs/seif-core/scripts/render-seif.ts [out.png] [photo ids...]`
 * (default docs/images/seif-vs-flame.png and four sample portraits; weights: the shipped ones or SEIF_WEIGHTS_DIR).
 * Per row, 256 px each: the photo's SeIF-frame crop; FLAME front and back; SeIF (uniformized head + hair) front,
 * three-quarter and back; the raw reconstructed surface (grey, three-quarter).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HeadModel } from '@seif/flame';
import { assetPath } from '@seif/models';
import sharp from 'sharp';
import { composeAffine, warpAffineToTensor } from '../src/image/image.js';
import { reconstructionPipeline } from '../src/pipeline/reconstruct.js';
import { renderHead } from '../src/render/head.js';
import { disposeModels } from '../src/runtime/registry.js';
import { seifExportGeometry, srgbBytesToLinear } from '../src/seif/export-geometry.js';
import { SEIF_DEFAULT_RESOLUTION } from '../src/seif/stage.js';
import { DecodeStage } from '../src/stages/decode.js';
import { frontalVertices } from '../src/stages/export.js';
import { cropToFrameAffine } from '../src/stages/normalise.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const [outArg, ...ids] = process.argv.slice(2);
const out = outArg ?? path.join(root, 'docs/images/seif-vs-flame.png');
const photos = ids.length > 0 ? ids : ['photo-city-portrait', 'photo-model-face', 'photo-woman-portrait', 'photo-luciano'];
const S = 256;
const resolution = Number(process.env.SEIF_RESOLUTION ?? SEIF_DEFAULT_RESOLUTION);
const flatHair = process.env.SEIF_RENDER_HAIR_FLAT === '1';

const pipeline = reconstructionPipeline();
if (!pipeline.seifAvailable) throw new Error('render-seif needs SeIF weights (models/weights or SEIF_WEIGHTS_DIR)');
await pipeline.warmUp();
const raw = (rgb: Uint8Array) => sharp(Buffer.from(rgb), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
const textureOf = async (png: Uint8Array) => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};
const tiles: { input: Buffer; left: number; top: number }[] = [];
for (const [row, id] of photos.entries()) {
  const file = await assetPath(id);
  const flame = await pipeline.run(file, { faces: 'largest', mode: 'flame', formats: [], thumbnailSize: 0 });
  const seif = await pipeline.run(file, { faces: 'largest', mode: 'seif', resolution, formats: [], thumbnailSize: 0 });
  if (!seif.seif) throw new Error(`${id}: SeIF fell back: ${seif.warnings.map((w) => w.message).join('; ')}`);
  const image = await new DecodeStage().run(file);
  const frameToImage = flame.params.camera.frameToImage as [number, number, number, number, number, number];
  const crop = warpAffineToTensor(image, composeAffine(frameToImage, cropToFrameAffine(S)), S, S, undefined, { border: 'zero', scale: 255 });
  const views: Uint8Array[] = [Uint8Array.from(crop, (x) => Math.max(0, Math.min(255, Math.round(x))))];
  const flameTexture = await textureOf(flame.files.find((f) => f.kind === 'TEXTURE')!.data);
  const flameVertices = frontalVertices(flame.fit);
  for (const yaw of [0, 180]) views.push(renderHead(flame.fit.model, flameVertices, { size: S, yawDegrees: yaw, texture: flameTexture, cavity: flame.params.texture!.mouthColor as [number, number, number] }).data);
  const geometry = seifExportGeometry(seif.fit, seif.seif);
  const seifTexture = await textureOf(seif.files.find((f) => f.kind === 'TEXTURE')!.data);
  // SEIF_RENDER_HAIR_FLAT=1: hair in flat magenta, to see what the stage classed as hair.
  const hairColors = geometry.hair && (flatHair ? new Uint8Array(geometry.hair.colors.length).map((_, i) => [230, 40, 200][i % 3]!) : geometry.hair.colors);
  const extras = geometry.hair ? [{ positions: geometry.hair.frontal, indices: geometry.hair.indices, colors: srgbBytesToLinear(hairColors!) }] : [];
  for (const yaw of [0, 35, 180]) views.push(renderHead(seif.fit.model, geometry.frontalHead, { size: S, yawDegrees: yaw, texture: seifTexture, extras, cavity: seif.params.texture!.mouthColor as [number, number, number] }).data);
  // The raw surface: untextured (a head model stand-in carrying only the surface's faces).
  views.push(renderHead({ faces: geometry.surface.indices } as unknown as HeadModel, geometry.surface.positions, { size: S, yawDegrees: 35 }).data);
  for (const [k, view] of views.entries()) tiles.push({ input: await raw(view), left: k * S, top: row * S });
  const p = seif.params.seif!;
  console.log(`${id}: FLAME ${flame.timings.total!.toFixed(0)} ms, SeIF ${seif.timings.total!.toFixed(0)} ms (seif stage ${seif.timings.seif!.toFixed(0)} ms: ${JSON.stringify(p.ms)}); `
    + `grid ${p.grid.resolution}^3 ${(p.grid.pointsEvaluated / 1e6).toFixed(2)} M points (${((100 * p.grid.pointsEvaluated) / p.grid.denseEquivalent).toFixed(1)} % of dense); `
    + `surface ${p.surface.vertices} vertices; uniformize ${p.uniformize.matched} matched, ${p.uniformize.targeted}/${p.uniformize.eligible} targeted, mean move ${p.uniformize.meanMoveMm?.toFixed(2)} mm; hair ${p.hair ? `${p.hair.vertices} vertices (${p.hair.seenInPhoto} seen; ${p.hair.faceShellVertices} face-shell surface vertices left out)` : 'none'}`);
}
await sharp({ create: { width: 7 * S, height: photos.length * S, channels: 3, background: '#ffffff' } }).composite(tiles).png().toFile(out);
console.log(`wrote ${out}`);
await disposeModels();
