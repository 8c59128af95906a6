'use client';
/**
 * "Save animation": sends the viewer's current expression and pose to the API's createAnimation (through a
 * server action that holds the key), follows the job over /api/animations/<id>/events, then offers the posed GLB
 * as a download. Errors say what happened and offer to try again.
 */
import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../lib/format';
import { animationDownload, startAnimation } from './animation-actions';
import { type AnimationInput, describeInput } from './animation-input';
import styles from './head-viewer.module.css';

export interface SaveAnimationProps {
  reconstructionId: string;
  /** File name of the download, e.g. `ada-animation.glb`. */
  fileName: string;
  /** The viewer's state as a createAnimation input, read when the button is pressed. */
  current: () => AnimationInput;
  /** Why saving is not possible now (model loading, clip playing), or null. */
  blocked: string | null;
}

type State =
  | { step: 'idle' }
  | { step: 'working'; what: string; percent: number; label: string }
  | { step: 'done'; what: string; href: string; bytes: number }
  | { step: 'error'; what: string; message: string };

interface JobProgress {
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  progress: number;
  queuePosition: number | null;
  error: { code: string; message: string } | null;
}

export function SaveAnimation({ reconstructionId, fileName, current, blocked }: SaveAnimationProps) {
  const [state, setState] = useState<State>({ step: 'idle' });
  const source = useRef<EventSource | null>(null);
  useEffect(() => () => source.current?.close(), []);

  const save = async () => {
    source.current?.close();
    const input = current();
    const what = describeInput(input);
    setState({ step: 'working', what, percent: 0, label: 'Sending…' });
    const started = await startAnimation(reconstructionId, input).catch((error: unknown) => ({ error: { code: 'NETWORK', message: error instanceof Error ? error.message : String(error) } }));
    if ('error' in started) {
      if (started.error.code === 'UNAUTHENTICATED') window.location.assign(`/sign-in?next=${encodeURIComponent(window.location.pathname)}&reason=expired`);
      return setState({ step: 'error', what, message: started.error.message });
    }
    const events = new EventSource(`/api/animations/${encodeURIComponent(started.animationId)}/events`);
    source.current = events;
    let finished = false;
    const fail = (message: string) => {
      finished = true;
      events.close();
      setState({ step: 'error', what, message });
    };
    events.addEventListener('progress', (event) => {
      const p = JSON.parse((event as MessageEvent<string>).data) as JobProgress;
      const percent = Math.round(Math.max(0, Math.min(1, p.progress)) * 100);
      if (p.status === 'QUEUED') setState({ step: 'working', what, percent, label: p.queuePosition ? `Queued, ${p.queuePosition} ahead` : 'Queued' });
      else if (p.status === 'RUNNING') setState({ step: 'working', what, percent, label: 'Posing the head…' });
      else if (p.status === 'FAILED') fail(p.error ? `${p.error.message} (${p.error.code})` : 'The animation failed.');
      else if (p.status === 'CANCELLED') fail('The animation was cancelled.');
      else if (p.status === 'SUCCEEDED') {
        finished = true;
        events.close();
        setState({ step: 'working', what, percent: 100, label: 'Preparing the download…' });
        void animationDownload(started.animationId, fileName).then(
          (result) => setState('error' in result ? { step: 'error', what, message: result.error.message } : { step: 'done', what, href: result.href, bytes: result.bytes }),
          (error: unknown) => setState({ step: 'error', what, message: error instanceof Error ? error.message : String(error) }),
        );
      }
    });
    events.addEventListener('failure', (event) => fail(`Lost the progress of the animation: ${(JSON.parse((event as MessageEvent<string>).data) as { message?: string }).message ?? 'unknown error'}`));
    // EventSource reconnects by itself after a dropped connection (the API replays the state); a closed one is final.
    events.addEventListener('error', () => !finished && events.readyState === EventSource.CLOSED && fail('Lost the connection while the animation was being made.'));
  };

  const working = state.step === 'working';
  return (
    <div className={styles.save} data-testid="save-animation" data-step={state.step}>
      <div className={styles.saveRow}>
        <button type="button" className={styles.button} disabled={working || blocked !== null} onClick={() => void save()} title={blocked ?? undefined}>
          {working ? 'Saving…' : 'Save animation'}
        </button>
        <span className={styles.saveHint}>{blocked ?? 'A GLB posed like the view, with every morph and joint kept.'}</span>
      </div>
      <div aria-live="polite" className={styles.saveStatus}>
        {working && (
          <>
            <div className={styles.saveTrack} role="progressbar" aria-label="Animation progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={state.percent}>
              <div className={styles.saveFill} style={{ width: `${state.percent}%` }} />
            </div>
            <span>
              Saving {state.what}: {state.label}
            </span>
          </>
        )}
        {state.step === 'done' && (
          <>
            <a className={`${styles.button} ${styles.primary}`} href={state.href} download={fileName} data-testid="animation-download">
              Download animation GLB <span className={styles.size}>{formatBytes(state.bytes)}</span>
            </a>
            <span>Saved {state.what}.</span>
          </>
        )}
      </div>
      {state.step === 'error' && (
        <p className={styles.saveError} role="alert">
          Could not save {state.what}: {state.message}{' '}
          <button type="button" className={styles.linkButton} onClick={() => void save()} disabled={blocked !== null}>
            Try again
          </button>
        </p>
      )}
    </div>
  );
}
