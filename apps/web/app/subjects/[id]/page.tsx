import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { graphql } from '../../../lib/api';
import { ARTIFACT_LABEL, artifactFileName, artifactHref } from '../../../lib/artifacts';
import { type JobStatus, formatBytes, formatDate, formatDuration } from '../../../lib/format';
import { handleAuthError, requireKey } from '../../../lib/session';
import { HeadViewer } from '../../components/head-viewer';
import { StatusBadge } from '../../status-badge';
import { DeleteSubject } from './delete-subject';

export const metadata: Metadata = { title: 'Subject · SeIF' };
export const dynamic = 'force-dynamic';

const QUERY = `query($id: ID!) {
  subject(id: $id) {
    id displayName createdAt
    reconstructions(first: 20) { totalCount edges { node {
      id status stage progress mode createdAt startedAt finishedAt timings warnings
      error { code message }
      headModel { name version }
      artifacts { kind bytes url }
      photo { url width height bytes contentType }
    } } }
  }
  headModels { name version licence attribution }
}`;

interface Artifact {
  kind: string;
  bytes: number;
  url: string;
}
interface Reconstruction {
  id: string;
  status: JobStatus;
  stage: string | null;
  progress: number;
  mode: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  timings: Record<string, number> | null;
  warnings: string[];
  error: { code: string; message: string } | null;
  headModel: { name: string; version: string } | null;
  artifacts: Artifact[];
  photo: { url: string; width: number; height: number; bytes: number; contentType: string };
}
interface Data {
  subject: { id: string; displayName: string; createdAt: string; reconstructions: { totalCount: number; edges: { node: Reconstruction }[] } } | null;
  headModels: { name: string; version: string; licence: string; attribution: string }[];
}

/** Artefacts people download, in the order they are offered (THUMBNAIL is the gallery card's image, not offered). */
const DOWNLOAD_ORDER = ['GLB', 'OBJ', 'MTL', 'PLY', 'STL', 'TEXTURE', 'PARAMS'];

export default async function SubjectPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ error?: string }> }) {
  const { id } = await params;
  const { error: actionError } = await searchParams;
  const here = `/subjects/${encodeURIComponent(id)}`;
  const key = await requireKey(here);
  const data = await graphql<Data>(QUERY, { id }, key).catch((error: unknown) => handleAuthError(error, here));
  const subject = data.subject;
  if (!subject) notFound();

  const history = subject.reconstructions.edges.map((e) => e.node);
  const latest = history[0];
  const shown = history.find((r) => r.status === 'SUCCEEDED');
  const glb = shown?.artifacts.find((a) => a.kind === 'GLB');
  // The photo of the head on show (else of the newest attempt), beside the viewer.
  const photo = (shown ?? latest)?.photo;
  const model = shown?.headModel ? data.headModels.find((m) => m.name === shown.headModel!.name) : undefined;
  const downloads = (shown?.artifacts ?? []).filter((a) => DOWNLOAD_ORDER.includes(a.kind)).sort((a, b) => DOWNLOAD_ORDER.indexOf(a.kind) - DOWNLOAD_ORDER.indexOf(b.kind));
  // The pipeline's order (timings arrive as an unordered JSON object); stages not listed follow; `total` is the footer.
  const order = ['load', 'decode', 'detect', 'landmarks', 'segment', 'normalise', 'fit', 'pose', 'texture', 'export', 'thumbnail'];
  const rank = (stage: string) => (order.includes(stage) ? order.indexOf(stage) : order.length);
  const timings = Object.entries(shown?.timings ?? {})
    .filter(([stage, ms]) => typeof ms === 'number' && stage !== 'total')
    .sort(([a], [b]) => rank(a) - rank(b));
  const pipelineTotal = typeof shown?.timings?.total === 'number' ? shown.timings.total : undefined;

  return (
    <>
      <header className="gallery-head">
        <div>
          <p className="muted">
            <a href="/">Gallery</a> / subject
          </p>
          <h1>{subject.displayName}</h1>
          <p className="muted">
            Added <time dateTime={subject.createdAt}>{formatDate(subject.createdAt)}</time>
            {latest && (
              <>
                {' · '}
                <StatusBadge status={latest.status} />
              </>
            )}
          </p>
        </div>
        <a className="button" href={`/upload?subject=${encodeURIComponent(subject.id)}`}>
          Upload another photo
        </a>
      </header>
      {actionError && (
        <p className="callout callout-error" role="alert">
          {actionError}
        </p>
      )}
      {latest && latest.status !== 'SUCCEEDED' && latest !== shown && (
        <p className="callout" role="status">
          The newest reconstruction {({ QUEUED: 'is queued', RUNNING: 'is running', FAILED: 'failed', CANCELLED: 'was cancelled', SUCCEEDED: 'succeeded' } as const)[latest.status]}.{' '}
          <a href={`/reconstructions/${encodeURIComponent(latest.id)}`}>{latest.status === 'FAILED' ? 'See why' : 'Follow its progress'}</a>
        </p>
      )}

      <div className={photo || downloads.length > 0 ? 'subject-layout with-aside' : 'subject-layout'}>
        {(photo || downloads.length > 0) && (
        <aside className="subject-aside" aria-label="Photo and downloads">
          {photo && (
            <figure className="subject-photo" data-testid="subject-photo">
              {/* eslint-disable-next-line @next/next/no-img-element -- signed, expiring URL; width and height keep the space (no layout shift) */}
              <img src={artifactHref(photo.url)} alt={`The uploaded photo of ${subject.displayName}`} width={220} height={Math.round((220 * photo.height) / Math.max(1, photo.width))} />
              <figcaption className="notice">
                Uploaded photo · {photo.width} × {photo.height} px · {formatBytes(photo.bytes)}
              </figcaption>
            </figure>
          )}
          {downloads.length > 0 && (
            <section aria-labelledby="downloads-title">
              <h2 id="downloads-title" className="field-label" style={{ fontSize: '1rem', margin: '0 0 8px' }}>
                Downloads
              </h2>
              <ul className="downloads">
                {downloads.map((a) => (
                  <li key={a.kind}>
                    <a className="button small" href={artifactHref(a.url, artifactFileName(subject.displayName, a.kind))} download={artifactFileName(subject.displayName, a.kind)} data-artifact={a.kind}>
                      {ARTIFACT_LABEL[a.kind] ?? a.kind} <span className="size">{formatBytes(a.bytes)}</span>
                    </a>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
        )}

        <div>
          {glb ? (
            <HeadViewer
              src={artifactHref(glb.url)}
              label={`3D head of ${subject.displayName}`}
              screenshotName={artifactFileName(subject.displayName, 'screenshot').replace(/\.bin$/, '.png')}
              animation={shown ? { reconstructionId: shown.id, fileName: artifactFileName(subject.displayName, 'animation').replace(/\.bin$/, '.glb') } : undefined}
            />
          ) : (
            <div className="viewer-placeholder">
              <p>
                No finished head yet.{' '}
                {latest ? <a href={`/reconstructions/${encodeURIComponent(latest.id)}`}>See the reconstruction</a> : <a href={`/upload?subject=${encodeURIComponent(subject.id)}`}>Upload a photo</a>}
              </p>
            </div>
          )}
        </div>
      </div>

      {shown && (
        <section className="section" aria-labelledby="metrics-title">
          <h2 id="metrics-title">How it was made</h2>
          <dl className="facts">
            <dt>Mode</dt>
            <dd>{shown.mode === 'SEIF' ? 'SeIF (full head, hair included)' : 'FLAME (face fit, no hair)'}</dd>
            {shown.headModel && (
              <>
                <dt>Head model</dt>
                <dd>
                  {shown.headModel.name} {shown.headModel.version}
                </dd>
              </>
            )}
            {shown.startedAt && shown.finishedAt && (
              <>
                <dt>Job time</dt>
                <dd>{formatDuration(new Date(shown.finishedAt).getTime() - new Date(shown.startedAt).getTime())}</dd>
              </>
            )}
            {shown.warnings.length > 0 && (
              <>
                <dt>Warnings</dt>
                <dd>{shown.warnings.join('; ')}</dd>
              </>
            )}
          </dl>
          {timings.length > 0 && (
            <div className="table-wrap timings" style={{ marginTop: 16 }}>
              <table>
                <caption className="sr-only">Stage timings</caption>
                <thead>
                  <tr>
                    <th scope="col">Stage</th>
                    <th scope="col">Time</th>
                  </tr>
                </thead>
                <tbody>
                  {timings.map(([stage, ms]) => (
                    <tr key={stage}>
                      <td>{stage}</td>
                      <td>{formatDuration(ms)}</td>
                    </tr>
                  ))}
                </tbody>
                {pipelineTotal !== undefined && (
                  <tfoot>
                    <tr>
                      <th scope="row">Pipeline total</th>
                      <td>{formatDuration(pipelineTotal)}</td>
                    </tr>
                  </tfoot>
                )}
              </table>
            </div>
          )}
          {model && (
            <>
              <p className="notice" data-testid="licence">
                Head model licence: {model.licence}
              </p>
              <details className="notice">
                <summary>Attribution</summary>
                <p>{model.attribution}</p>
              </details>
            </>
          )}
        </section>
      )}

      <section className="section" aria-labelledby="history-title">
        <h2 id="history-title">Reconstructions ({subject.reconstructions.totalCount})</h2>
        {history.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Status</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {history.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <a href={`/reconstructions/${encodeURIComponent(r.id)}`}>
                        <time dateTime={r.createdAt}>{formatDate(r.createdAt)}</time>
                      </a>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td>{r.mode}</td>
                    <td>{r.error ? `${r.error.code}: ${r.error.message}` : r.status === 'SUCCEEDED' ? `${r.artifacts.length} files` : r.stage ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="section" aria-labelledby="danger-title">
        <h2 id="danger-title">Delete</h2>
        <DeleteSubject id={subject.id} name={subject.displayName} />
      </section>
    </>
  );
}
