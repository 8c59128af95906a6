/**
 * The `seif` command (bin/seif.js runs this file through tsx):
 *   seif reconstruct <photo> -o <dir> [--mode flame|seif] [--formats glb,obj,ply,stl] [--texture 1024]
 *                    [--faces error|largest] [--json]
 *   seif animate <result-dir> (--preset smile | --arkit jawOpen=0.5,...) -o out.glb
 * Exit codes: 0 done, 1 the photo or the arguments are the problem (message says what to do), 2 internal error.
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { PRESET_NAMES } from '@seif/flame';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { animateGlb, animationFrame, parseArkitWeights } from './pipeline/animate.js';
import { SeifError, toSeifError } from './pipeline/errors.js';
import { RECONSTRUCT_MODES, type ReconstructMode, reconstruct } from './pipeline/reconstruct.js';
import { disposeModels } from './runtime/registry.js';
import { MESH_FORMATS, type MeshFormat } from './stages/export.js';
import { defaultHeadModel } from './stages/fit.js';

const formatsArg = (value: string): MeshFormat[] => {
  const list = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const f of list) if (!MESH_FORMATS.includes(f as MeshFormat)) throw new InvalidArgumentError(`unknown format "${f}"; choose from ${MESH_FORMATS.join(', ')}`);
  if (list.length === 0) throw new InvalidArgumentError('give at least one format');
  return list as MeshFormat[];
};
const textureArg = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 64 || n > 4096) throw new InvalidArgumentError('texture size must be an integer from 64 to 4096 (e.g. 1024)');
  return n;
};
const kb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(0)} kB` : `${bytes} B`);

async function writeAtomic(file: string, data: Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}

const program = new Command()
  .name('seif')
  .description('SeIF: one photo -> an animatable FLAME-topology 3D head (GLB, OBJ, PLY, STL)')
  .showHelpAfterError();

program
  .command('reconstruct')
  .description('reconstruct a head from one portrait photo')
  .argument('<photo>', 'JPEG, PNG, WebP, AVIF or TIFF file')
  .requiredOption('-o, --out <dir>', 'output directory (created if missing)')
  .addOption(new Option('--mode <mode>', "'flame' (fitted FLAME head) or 'seif' (not available yet: falls back to flame)").choices([...RECONSTRUCT_MODES]).default('flame'))
  .option('--formats <list>', `mesh formats, comma-separated (${MESH_FORMATS.join(',')})`, formatsArg, [...MESH_FORMATS])
  .option('--texture <size>', 'texture size in texels', textureArg, 1024)
  .addOption(new Option('--faces <policy>', 'several faces in the photo: fail, or take the largest').choices(['error', 'largest']).default('error'))
  .option('--json', 'print the result summary as JSON on stdout (no progress bar)')
  .action(async (photo: string, options: { out: string; mode: ReconstructMode; formats: MeshFormat[]; texture: number; faces: 'error' | 'largest'; json?: boolean }) => {
    const showBar = !options.json && process.stderr.isTTY;
    const bar = showBar
      ? new cliProgress.SingleBar({ format: 'seif {bar} {percentage}% | {stage}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
      : undefined;
    bar?.start(100, 0, { stage: 'starting' });
    let result;
    try {
      result = await reconstruct(path.resolve(photo), {
        mode: options.mode,
        formats: options.formats,
        textureSize: options.texture,
        faces: options.faces,
        onProgress: (p) => bar?.update(Math.round(p.fraction * 100), { stage: p.stage }),
      });
    } finally {
      bar?.stop();
    }
    await mkdir(options.out, { recursive: true });
    const written: { kind: string; path: string; bytes: number }[] = [];
    for (const file of result.files) {
      const target = path.join(options.out, file.name);
      await writeAtomic(target, file.data);
      written.push({ kind: file.kind, path: target, bytes: file.bytes });
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ files: written, timings: result.timings, warnings: result.warnings, headModel: result.params.headModel, fit: result.params.fit }, null, 2)}\n`);
      return;
    }
    const out = process.stdout;
    out.write(`Reconstructed ${path.basename(photo)} in ${(result.timings.total! / 1000).toFixed(2)} s (${result.params.headModel.name} v${result.params.headModel.version}):\n`);
    for (const w of written) out.write(`  ${w.kind.padEnd(9)} ${w.path}  ${kb(w.bytes)}\n`);
    const stages = Object.entries(result.timings).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    out.write(`  timings (ms): ${stages}\n`);
    for (const w of result.warnings) out.write(`  warning ${w.code}: ${w.message}\n`);
  });

program
  .command('animate')
  .description('pose a reconstruction with a preset or ARKit weights (writes a GLB that shows it and still animates)')
  .argument('<result-dir>', 'directory written by `seif reconstruct` (holds head.glb)')
  .requiredOption('-o, --out <file>', 'output .glb')
  .addOption(new Option('--preset <name>', 'expression preset').choices([...PRESET_NAMES]))
  .option('--arkit <weights>', 'ARKit weights, e.g. jawOpen=0.5,mouthSmileLeft=0.3', parseArkitWeights)
  .action(async (dir: string, options: { out: string; preset?: string; arkit?: Record<string, number> }) => {
    const frame = animationFrame({ ...(options.preset ? { preset: options.preset } : {}), ...(options.arkit ? { arkit: options.arkit } : {}) });
    const source = path.join(dir, 'head.glb');
    let glb: Uint8Array;
    try {
      glb = await readFile(source);
    } catch (error) {
      throw new SeifError('INVALID_ARGUMENT', `cannot read ${source}: run \`seif reconstruct\` with --formats including glb first.`, { cause: error });
    }
    const animated = await animateGlb(glb, await defaultHeadModel(), frame);
    await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
    await writeAtomic(options.out, animated);
    process.stdout.write(`Wrote ${options.out} (${kb(animated.byteLength)}): ${options.preset ? `preset ${options.preset}` : Object.entries(options.arkit ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}\n`);
  });

try {
  await program.parseAsync(process.argv);
  await disposeModels();
} catch (thrown) {
  const error = toSeifError(thrown);
  process.stderr.write(`seif: ${error.code}: ${error.message}\n`);
  await disposeModels().catch(() => undefined);
  process.exitCode = error.isPhotoProblem || error.code === 'INVALID_ARGUMENT' ? 1 : 2;
}
