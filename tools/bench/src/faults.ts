/**
 * Fault script (issue 10, reliability): K small jobs uploaded through the API by concurrent clients while the
 * worker process is SIGKILLed at random moments and restarted, and one API instance is killed (SIGKILL or
 * SIGTERM, alternately) while uploads are in flight; clients retry failed uploads with the same idempotencyKey.
 * At the end: lost (accepted by nobody, or accepted but no row / no live job while not final), duplicated (more
 * than one reconstruction per key, a key answered with two ids, or more than one artefact of a kind on a
 * reconstruction), stuck (not final when the deadline passed). Goal 0, 0, 0.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ChildHandle, createEnvironment, type Environment, FIXTURES, fromGlobalId, sleep, seededRandom, startApiProcess, startChild, stopChild, uploadPhoto } from './harness.js';
import { smallPortrait } from './photos.js';

export interface FaultOptions {
  jobs?: number;
  seed?: number;
  /** Upload clients working in parallel. */
  clients?: number;
  /** Worker SIGKILLs (default: about one per 10 jobs, at least 2). */
  workerKills?: number;
  /** API instance kills during uploads (default: 1 per 30 jobs, at least 1). */
  apiRestarts?: number;
  /** pg-boss expiry of a job whose worker died; must exceed an honest run on a loaded machine. */
  expireSeconds?: number;
  maintenanceSeconds?: number;
  /** Give up waiting for final states after this long once uploads are done. */
  timeoutSeconds?: number;
  photoSize?: number;
  adminUrl?: string;
  log?: (line: string) => void;
}

export interface FaultReport {
  jobs: number;
  accepted: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  lost: number;
  duplicated: number;
  stuck: number;
  workerKills: number;
  apiKills: number;
  uploadRetries: number;
  /** Reconstructions whose final attempt was not the first (the kill hit them). */
  retriedJobs: number;
  /** Photo objects in storage that no Photo row points at (an API killed between storing and committing). */
  orphanPhotoObjects: number;
  seconds: number;
  details: string[];
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export async function runFaults(options: FaultOptions = {}): Promise<FaultReport> {
  const jobs = options.jobs ?? 100;
  const random = seededRandom(options.seed ?? 1);
  const clients = options.clients ?? 3;
  const maxWorkerKills = options.workerKills ?? Math.max(2, Math.round(jobs / 10));
  const maxApiKills = options.apiRestarts ?? Math.max(1, Math.round(jobs / 30));
  const expireSeconds = options.expireSeconds ?? 20;
  const maintenanceSeconds = options.maintenanceSeconds ?? 1;
  const timeoutSeconds = options.timeoutSeconds ?? Math.max(120, jobs * 12);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const photo = await smallPortrait(options.photoSize ?? 256);
  const env: Environment = await createEnvironment(options.adminUrl);
  const details: string[] = [];

  interface Instance { url: string; port: number; handle: ChildHandle; up: boolean; inFlight: number }
  const instances: Instance[] = [];
  let worker: ChildHandle | undefined;
  const workerEnv = { DATABASE_URL: env.databaseUrl, SEIF_DATA_DIR: env.dataDir, BENCH_EXPIRE_SECONDS: String(expireSeconds), BENCH_MAINTENANCE_SECONDS: String(maintenanceSeconds), BENCH_RETRY_LIMIT: '20' };
  let workerKills = 0;
  let apiKills = 0;
  let uploadRetries = 0;
  try {
    // The first API instance creates pg-boss's schema; then the second one and the worker start side by side.
    instances.push({ ...(await startApiProcess(env, { expireSeconds, retryLimit: 20 })), up: true, inFlight: 0 });
    worker = startChild(FIXTURES.worker, workerEnv);
    instances.push({ ...(await startApiProcess(env, { expireSeconds, retryLimit: 20 })), up: true, inFlight: 0 });
    await worker.ready;
    log(`environment up after ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // ---- clients -------------------------------------------------------------------------------------------
    const keys = Array.from({ length: jobs }, () => randomUUID());
    const answers = new Map<string, Set<string>>();
    const rejected = new Map<string, string>();
    let next = 0;
    let uploadsDone = false;
    // The last upload waits until the API kills are done (the kill loop ends on its own: at most 5 s per kill waiting for
    // an upload in flight, then the kill and the restart): on a small run (CI's 5 jobs) the uploads could
    // otherwise all finish before the first kill, and the run would test no API failure at all.
    let apiChaosDone: () => void = () => {};
    const apiChaosFinished = new Promise<void>((resolve) => { apiChaosDone = resolve; });
    const client = async (c: number) => {
      while (next < keys.length) {
        const index = next++;
        const key = keys[index]!;
        if (index === keys.length - 1) await apiChaosFinished;
        for (let attempt = 0; ; attempt++) {
          const up = instances.filter((instance) => instance.up);
          const instance = up[(c + attempt) % Math.max(1, up.length)];
          if (!instance) {
            await sleep(200);
            continue;
          }
          instance.inFlight++;
          let outcome: 'ok' | 'retry' | 'rejected' = 'retry';
          try {
            const response = await uploadPhoto(instance.url, env.key, { subjectId: env.subjectGlobalId, bytes: photo, idempotencyKey: key, options: { formats: ['GLB'], textureSize: 256 }, timeoutMs: 30_000 });
            const payload = response.json?.data?.createReconstruction;
            if (response.status === 200 && payload?.reconstruction?.id && payload.errors.length === 0) {
              (answers.get(key) ?? answers.set(key, new Set()).get(key)!).add(payload.reconstruction.id);
              outcome = 'ok';
            } else if (response.status < 500 && payload?.errors?.length) {
              rejected.set(key, JSON.stringify(payload.errors));
              outcome = 'rejected';
            }
          } catch {
            // connection reset / refused while an instance restarts: retry with the same key
          } finally {
            instance.inFlight--;
          }
          if (outcome !== 'retry') break;
          if (attempt >= 30) {
            details.push(`upload ${key} gave up after ${attempt + 1} attempts`);
            break;
          }
          uploadRetries++;
          await sleep(100 + random() * 400);
        }
        await sleep(random() * 300);
      }
    };
    const uploading = Promise.all(Array.from({ length: clients }, (_, c) => client(c))).then(() => {
      uploadsDone = true;
    });

    // ---- chaos: API kills while uploads are in flight ----------------------------------------------------------
    const apiChaos = (async () => {
      while (apiKills < maxApiKills && !uploadsDone) {
        await sleep(200 + random() * 1500);
        const victim = instances[1]!;
        // wait for an upload in flight on the victim, so the kill interrupts one
        const waitUntil = Date.now() + 5_000;
        while (victim.inFlight === 0 && !uploadsDone && Date.now() < waitUntil) await sleep(5);
        if (uploadsDone) break;
        victim.up = false;
        const signal = apiKills % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
        const inFlight = victim.inFlight;
        await stopChild(victim.handle, signal, 5_000);
        apiKills++;
        log(`api instance killed (${signal}) with ${inFlight} uploads in flight`);
        const restarted = await startApiProcess(env, { port: victim.port, expireSeconds, retryLimit: 20 });
        Object.assign(victim, restarted, { up: true });
      }
    })().finally(apiChaosDone);

    // ---- chaos: worker SIGKILLs at random moments while jobs run ------------------------------------------------
    const deadline = () => performance.now() - started > (timeoutSeconds + 60) * 1000;
    let allFinal = false;
    const workerChaos = (async () => {
      while (workerKills < maxWorkerKills && !allFinal && !deadline()) {
        await sleep(1_000 + random() * 6_000);
        const running = await env.db.reconstruction.count({ where: { tenantId: env.tenantId, status: 'RUNNING' } });
        if (running === 0 && random() < 0.7) continue; // mostly aim at a job in progress; sometimes at an idle worker
        worker!.child.kill('SIGKILL');
        await worker!.exited;
        workerKills++;
        log(`worker SIGKILLed (${running} running)`);
        await sleep(random() * 2_000);
        worker = startChild(FIXTURES.worker, workerEnv);
        await worker.ready;
      }
    })();

    await uploading;
    await apiChaos;
    log(`uploads done: ${answers.size} accepted, ${rejected.size} rejected, ${uploadRetries} retries`);

    // ---- wait for final states ------------------------------------------------------------------------------
    const waitStart = performance.now();
    while (performance.now() - waitStart < timeoutSeconds * 1000) {
      const open = await env.db.reconstruction.count({ where: { tenantId: env.tenantId, status: { notIn: ['SUCCEEDED', 'FAILED', 'CANCELLED'] } } });
      if (open === 0 && workerKills >= Math.min(maxWorkerKills, 1)) break;
      if (open === 0 && performance.now() - waitStart > 5_000) break;
      await sleep(1_000);
    }
    allFinal = true;
    await workerChaos;

    // ---- count ------------------------------------------------------------------------------------------------
    const rows = await env.db.reconstruction.findMany({ where: { tenantId: env.tenantId }, include: { artifacts: { select: { kind: true } } } });
    const byKey = new Map<string, typeof rows>();
    for (const row of rows) {
      const k = row.idempotencyKey ?? `(none:${row.id})`;
      (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(row);
    }
    const jobIds = rows.filter((row) => !FINAL.has(row.status) && row.jobId).map((row) => row.jobId!);
    const liveJobs = new Set<string>();
    if (jobIds.length > 0) {
      const found = await env.db.$queryRawUnsafe<{ id: string; state: string }[]>(`SELECT id::text, state::text FROM pgboss.job WHERE id = ANY($1::uuid[])`, jobIds);
      for (const job of found) if (['created', 'retry', 'active'].includes(job.state)) liveJobs.add(job.id);
    }
    let lost = 0;
    let duplicated = 0;
    let stuck = 0;
    for (const key of keys) {
      const ids = answers.get(key);
      const keyRows = byKey.get(key) ?? [];
      if (!ids && !rejected.has(key)) {
        lost++;
        details.push(`lost: ${key} was never accepted`);
        continue;
      }
      if (rejected.has(key)) details.push(`rejected: ${key} ${rejected.get(key)}`);
      if (ids && ids.size > 1) {
        duplicated++;
        details.push(`duplicated: ${key} answered with ${ids.size} ids`);
      }
      if (keyRows.length > 1) {
        duplicated++;
        details.push(`duplicated: ${key} has ${keyRows.length} reconstructions`);
      }
      if (ids && keyRows.length === 0) {
        lost++;
        details.push(`lost: ${key} accepted as ${[...ids].join(',')} but has no row`);
      }
      if (ids) for (const id of ids) if (!keyRows.some((row) => row.id === fromGlobalId(id))) details.push(`note: ${key} answered ${id}, not a row of this key`);
      for (const row of keyRows) {
        const kinds = row.artifacts.map((artifact) => artifact.kind);
        if (new Set(kinds).size !== kinds.length) {
          duplicated++;
          details.push(`duplicated: ${row.id} has artefacts ${kinds.sort().join(',')}`);
        }
        if (FINAL.has(row.status)) continue;
        if (!row.jobId || !liveJobs.has(row.jobId)) {
          lost++;
          details.push(`lost: ${row.id} is ${row.status} and its job ${row.jobId} is not live`);
        } else {
          stuck++;
          details.push(`stuck: ${row.id} is ${row.status} (${row.stage}) after the deadline`);
        }
      }
    }
    const photoRows = await env.db.photo.findMany({ where: { tenantId: env.tenantId }, select: { storageKey: true } });
    const { listFiles } = await import('./harness.js');
    const files = await listFiles(`${env.dataDir}/objects`);
    const photoKeys = new Set(photoRows.map((row) => row.storageKey));
    const orphanPhotoObjects = files.filter((file) => /photos\//.test(file) && !file.endsWith('.meta.json') && !photoKeys.has(file)).length;
    const count = (status: string) => rows.filter((row) => row.status === status).length;
    return {
      jobs,
      accepted: answers.size,
      succeeded: count('SUCCEEDED'),
      failed: count('FAILED'),
      cancelled: count('CANCELLED'),
      lost,
      duplicated,
      stuck,
      workerKills,
      apiKills,
      uploadRetries,
      retriedJobs: rows.filter((row) => row.attempts > 1).length,
      orphanPhotoObjects,
      seconds: (performance.now() - started) / 1000,
      details,
    };
  } finally {
    await stopChild(worker, 'SIGTERM', 5_000);
    await Promise.all(instances.map((instance) => stopChild(instance.handle, 'SIGTERM', 5_000)));
    await env.close();
  }
}
