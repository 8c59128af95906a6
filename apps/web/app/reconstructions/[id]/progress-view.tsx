'use client';

import { useEffect, useState } from 'react';
import { type JobStatus, STATUS_LABEL, formatEta } from '../../../lib/format';
import { type JobErrorInfo, nextSteps, stageLabel } from '../../../lib/job-errors';
import { cancelReconstruction, retryReconstruction } from './actions';

export interface Progress {
  status: JobStatus;
  stage: string | null;
  progress: number;
  queuePosition: number | null;
  etaSeconds: number | null;
  message: string | null;
  error: JobErrorInfo | null;
}

const FINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * Live progress from the SSE proxy (/api/reconstructions/<id>/events, which holds the graphql-ws subscription
 * and the key). EventSource reconnects by itself and the API replays the current state first.
 */
export function ProgressView({ id, subjectId, initial }: { id: string; subjectId: string; initial: Progress }) {
  const [state, setState] = useState<Progress>(initial);
  const [stages, setStages] = useState<string[]>(initial.stage ? [initial.stage] : []);
  const [connection, setConnection] = useState<'live' | 'connecting' | 'lost'>('connecting');
  const final = FINAL.includes(state.status);

  useEffect(() => {
    if (FINAL.includes(initial.status)) return;
    const source = new EventSource(`/api/reconstructions/${encodeURIComponent(id)}/events`);
    source.addEventListener('open', () => setConnection('live'));
    source.addEventListener('progress', (event) => {
      const next = JSON.parse((event as MessageEvent<string>).data) as Progress;
      setConnection('live');
      setState(next);
      if (next.stage) setStages((seen) => (seen.includes(next.stage!) ? seen : [...seen, next.stage!]));
      if (FINAL.includes(next.status)) source.close();
    });
    source.addEventListener('end', () => source.close());
    source.addEventListener('failure', () => setConnection('lost'));
    source.addEventListener('error', () => source.readyState === EventSource.CLOSED || setConnection('connecting'));
    return () => source.close();
  }, [id, initial.status]);

  const percent = Math.round(Math.max(0, Math.min(1, state.progress)) * 100);
  const eta = state.status === 'RUNNING' ? formatEta(state.etaSeconds) : null;
  const steps = state.status === 'FAILED' || state.status === 'CANCELLED' ? nextSteps(state.status, state.error) : null;
  const advice = steps?.advice ?? null;

  return (
    <section className="panel" aria-labelledby="progress-title" data-status={state.status} data-testid="progress">
      <h2 id="progress-title" style={{ marginBottom: 4 }}>
        {state.status === 'SUCCEEDED' ? 'Your head is ready' : state.status === 'QUEUED' ? 'Waiting in the queue' : final ? STATUS_LABEL[state.status] : stageLabel(state.stage)}
      </h2>
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Reconstruction progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent} %, ${STATUS_LABEL[state.status]}`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="progress-facts" aria-live="polite">
        <span data-testid="progress-percent">{percent} %</span>
        <span>{STATUS_LABEL[state.status]}</span>
        {state.status === 'FAILED' && state.stage && <span>stopped at: {stageLabel(state.stage)}</span>}
        {state.status === 'QUEUED' && state.queuePosition != null && <span>{state.queuePosition === 0 ? 'next in line' : `${state.queuePosition} ahead in the queue`}</span>}
        {eta && <span>{eta}</span>}
        {!final && connection !== 'live' && <span>{connection === 'lost' ? 'live updates lost: reload the page' : 'connecting…'}</span>}
      </p>
      {stages.length > 0 && (
        <ol className="stages" aria-label="Stages">
          {stages.map((stage) => (
            <li key={stage} data-state={stage === state.stage ? (final && state.status !== 'SUCCEEDED' ? 'failed' : final ? 'done' : 'current') : 'done'}>
              {stageLabel(stage)}
            </li>
          ))}
        </ol>
      )}

      {state.status === 'SUCCEEDED' && (
        <div className="callout callout-ok" role="status">
          <p>The head has FLAME&apos;s topology, so it can smile, blink and turn.</p>
        </div>
      )}
      {advice && (
        <div className="callout callout-error" role="alert" data-error-code={state.error?.code ?? state.status}>
          <h2>{advice.title}</h2>
          <p>{advice.action}</p>
          {state.error?.message && <p className="notice">Details: {state.error.message}</p>}
        </div>
      )}

      <div className="actions" style={{ marginBottom: 0 }}>
        {state.status === 'SUCCEEDED' && (
          <a className="button primary" href={`/subjects/${encodeURIComponent(subjectId)}`}>
            Open the 3D view
          </a>
        )}
        {steps?.uploadAnother && (
          <a className="button primary" href={`/upload?subject=${encodeURIComponent(subjectId)}`}>
            Upload another photo
          </a>
        )}
        {/* Not for a photo problem: the same photo would fail the same way. */}
        {steps?.retry && (
          <form action={retryReconstruction}>
            <input type="hidden" name="id" value={id} />
            <button type="submit" className="button primary">
              Retry
            </button>
          </form>
        )}
        {!final && (
          <form action={cancelReconstruction}>
            <input type="hidden" name="id" value={id} />
            <button type="submit" className="button">
              Cancel
            </button>
          </form>
        )}
        <a className="button" href="/">
          Back to the gallery
        </a>
      </div>
    </section>
  );
}
