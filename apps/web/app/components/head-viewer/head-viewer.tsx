'use client';
/**
 * Public component. <HeadViewer src=".glb"> shows an animatable head: orbit, ARKit sliders grouped by region,
 * presets, jaw/neck/eye pose, a looping clip, wireframe, hair and FLAME-only toggles (when the GLB has hair or
 * other geometry beyond FLAME; parts.ts has the node-name convention), a screenshot, and with `animation` set a
 * "Save animation" that turns the current state into a GLB through the API. The root carries
 * `data-loaded="true"` once the model is on screen (browser tests wait for it) and `data-state`
 * (loading | loaded | error).
 */
import { type ChangeEvent, type KeyboardEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { animationInput } from './animation-input';
import { groupByRegion, shortLabel } from './regions';
import { VIEWER_PRESETS } from './presets';
import { SaveAnimation } from './save-animation';
import type { HeadScene, LoadedHead, PoseState, Vec3 } from './scene';
import styles from './head-viewer.module.css';

export interface HeadViewerProps {
  /** URL of a GLB with ARKit-named morph targets (extras.targetNames) and FLAME's joints. */
  src: string;
  /** Accessible name of the 3D view. */
  label?: string;
  /** File name offered by the screenshot button. */
  screenshotName?: string;
  /** Offer "Save animation" for this reconstruction (global id); the GLB downloads as `fileName`. */
  animation?: { reconstructionId: string; fileName: string };
}

type Status = { state: 'loading' } | { state: 'loaded' } | { state: 'error'; message: string };

const ZERO: Vec3 = [0, 0, 0];
const neutralPose = (): PoseState => ({ neck: [...ZERO], jaw: [...ZERO], eyes: [...ZERO] });

/** Pose sliders: which joint and axis, and the range in degrees (axis-angle components, FLAME's convention). */
const POSE_SLIDERS: readonly { id: string; label: string; joint: keyof PoseState; axis: 0 | 1 | 2; min: number; max: number }[] = [
  { id: 'neck-yaw', label: 'Neck turn', joint: 'neck', axis: 1, min: -45, max: 45 },
  { id: 'neck-pitch', label: 'Neck nod', joint: 'neck', axis: 0, min: -25, max: 25 },
  { id: 'neck-roll', label: 'Neck tilt', joint: 'neck', axis: 2, min: -20, max: 20 },
  { id: 'jaw-open', label: 'Jaw rotate', joint: 'jaw', axis: 0, min: 0, max: 25 },
  { id: 'jaw-side', label: 'Jaw sideways', joint: 'jaw', axis: 1, min: -8, max: 8 },
  { id: 'eyes-yaw', label: 'Eyes left/right', joint: 'eyes', axis: 1, min: -20, max: 20 },
  { id: 'eyes-pitch', label: 'Eyes up/down', joint: 'eyes', axis: 0, min: -20, max: 20 },
];

const DEG = Math.PI / 180;

export function HeadViewer({ src, label = '3D head', screenshotName = 'seif-head.png', animation }: HeadViewerProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const sceneRef = useRef<HeadScene | null>(null);
  const [status, setStatus] = useState<Status>({ state: 'loading' });
  const [morphNames, setMorphNames] = useState<string[]>([]);
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [pose, setPose] = useState<PoseState>(neutralPose);
  const [wireframe, setWireframe] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [preset, setPreset] = useState<string | null>(null);
  const [licence, setLicence] = useState<string | null>(null);
  const [parts, setParts] = useState<LoadedHead['parts']>({ flame: 0, hair: 0, other: 0 });
  const [showHair, setShowHair] = useState(true);
  const [flameOnly, setFlameOnly] = useState(false);
  const idPrefix = useId();

  useEffect(() => {
    const canvas = canvasRef.current;
    const frame = frameRef.current;
    if (!canvas || !frame) return;
    const abort = new AbortController();
    let scene: HeadScene | undefined;
    let observer: ResizeObserver | undefined;
    setStatus({ state: 'loading' });
    // three.js is loaded with the viewer, not with the page: the page paints first.
    void import('./scene')
      .then(async ({ HeadScene }) => {
        if (abort.signal.aborted) return;
        scene = new HeadScene(canvas);
        sceneRef.current = scene;
        const resize = () => scene?.resize(frame.clientWidth, frame.clientHeight);
        resize();
        observer = new ResizeObserver(resize);
        observer.observe(frame);
        const head = await scene.load(src, abort.signal);
        if (abort.signal.aborted) return;
        setMorphNames(head.morphNames);
        setParts(head.parts);
        setLicence(typeof head.metadata.licence === 'string' ? head.metadata.licence : null);
        // Let one frame render before announcing the model (tests screenshot right after data-loaded).
        requestAnimationFrame(() => requestAnimationFrame(() => !abort.signal.aborted && setStatus({ state: 'loaded' })));
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        setStatus({ state: 'error', message: error instanceof Error ? error.message : String(error) });
      });
    return () => {
      abort.abort();
      observer?.disconnect();
      scene?.dispose();
      sceneRef.current = null;
    };
  }, [src]);

  useEffect(() => sceneRef.current?.setWeights(weights), [weights, status]);
  useEffect(() => sceneRef.current?.setPose(pose), [pose, status]);
  useEffect(() => sceneRef.current?.setWireframe(wireframe), [wireframe, status]);
  useEffect(() => sceneRef.current?.setClipPlaying(playing), [playing, status]);
  useEffect(() => sceneRef.current?.setPartVisibility({ hair: showHair, flameOnly }), [showHair, flameOnly, status]);
  // Each toggle only when the model has something it would hide (parts.ts).
  const hairToggle = parts.hair > 0;
  const flameOnlyToggle = parts.flame > 0 && parts.hair + parts.other > 0;

  const groups = useMemo(() => groupByRegion(morphNames), [morphNames]);
  const loaded = status.state === 'loaded';

  const onMorph = useCallback((event: ChangeEvent<HTMLInputElement>) => {
    const { name, value } = event.currentTarget;
    setPreset(null);
    setWeights((previous) => ({ ...previous, [name]: Number(value) }));
  }, []);

  const onCanvasKey = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const scene = sceneRef.current;
    if (!scene || !loaded) return;
    const step = (event.shiftKey ? 2 : 10) * DEG;
    const actions: Record<string, () => void> = {
      ArrowLeft: () => scene.orbit(-step, 0),
      ArrowRight: () => scene.orbit(step, 0),
      ArrowUp: () => scene.orbit(0, -step),
      ArrowDown: () => scene.orbit(0, step),
      '+': () => scene.zoom(0.9),
      '=': () => scene.zoom(0.9),
      '-': () => scene.zoom(1 / 0.9),
      Home: () => scene.resetView(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  const applyPreset = (id: string) => {
    const chosen = VIEWER_PRESETS.find((p) => p.id === id);
    if (!chosen) return;
    setPlaying(false);
    setPreset(id);
    setWeights(Object.fromEntries(Object.entries(chosen.weights).filter(([name]) => morphNames.includes(name))) as Record<string, number>);
  };

  const reset = () => {
    setPlaying(false);
    setPreset(null);
    setWeights({});
    setPose(neutralPose());
    sceneRef.current?.resetView();
  };

  const screenshot = () => {
    const url = sceneRef.current?.screenshot();
    if (!url) return;
    const link = document.createElement('a');
    link.href = url;
    link.download = screenshotName;
    link.click();
  };

  return (
    <section className={styles.viewer} aria-label={label} data-loaded={loaded ? 'true' : 'false'} data-state={status.state}>
      <div className={styles.stage}>
        <div className={styles.frame} ref={frameRef}>
          <canvas
            ref={canvasRef}
            className={styles.canvas}
            role="application"
            tabIndex={0}
            aria-label={`${label}: drag or use the arrow keys to orbit; scroll or + and - to zoom`}
            aria-describedby={`${idPrefix}-keys`}
            onKeyDown={onCanvasKey}
            data-testid="head-canvas"
          />
          <p id={`${idPrefix}-keys`} className="sr-only">
            Arrow keys orbit the head, plus and minus zoom, Home resets the view.
          </p>
          {status.state === 'loading' && (
            <p className={styles.overlay} role="status">
              <span className={styles.spinner} aria-hidden="true" /> Loading head model…
            </p>
          )}
          {status.state === 'error' && (
            <p className={`${styles.overlay} ${styles.error}`} role="alert">
              Could not show the head: {status.message}
            </p>
          )}
        </div>
        <div className={styles.toolbar} role="toolbar" aria-label="View">
          <button type="button" className={styles.button} aria-pressed={playing} disabled={!loaded} onClick={() => setPlaying((p) => !p)}>
            {playing ? 'Stop clip' : 'Play clip'}
          </button>
          <label className={styles.switch}>
            <input type="checkbox" checked={wireframe} disabled={!loaded} onChange={(e) => setWireframe(e.currentTarget.checked)} />
            <span>Wireframe</span>
          </label>
          {hairToggle && (
            <label className={styles.switch}>
              <input type="checkbox" checked={showHair && !flameOnly} disabled={!loaded || flameOnly} onChange={(e) => setShowHair(e.currentTarget.checked)} data-testid="toggle-hair" />
              <span>Hair</span>
            </label>
          )}
          {flameOnlyToggle && (
            <label className={styles.switch} title="Only FLAME's head (face, skull, eyes): hair and the rest of the reconstructed head hidden">
              <input type="checkbox" checked={flameOnly} disabled={!loaded} onChange={(e) => setFlameOnly(e.currentTarget.checked)} data-testid="toggle-flame-only" />
              <span>FLAME only</span>
            </label>
          )}
          <button type="button" className={styles.button} disabled={!loaded} onClick={reset}>
            Reset
          </button>
          <button type="button" className={`${styles.button} ${styles.primary}`} disabled={!loaded} onClick={screenshot}>
            Screenshot
          </button>
        </div>
        <div className={styles.presets} role="group" aria-label="Expression presets">
          {VIEWER_PRESETS.map((p) => (
            <button key={p.id} type="button" className={styles.chip} aria-pressed={preset === p.id} disabled={!loaded} onClick={() => applyPreset(p.id)} data-preset={p.id}>
              {p.label}
            </button>
          ))}
        </div>
        {animation && (
          <SaveAnimation
            reconstructionId={animation.reconstructionId}
            fileName={animation.fileName}
            current={() => animationInput(weights, pose, preset)}
            blocked={!loaded ? 'The model is still loading.' : playing ? 'Stop the clip to save a pose.' : null}
          />
        )}
        {licence && <p className={styles.notice}>Head model licence: {licence}</p>}
      </div>

      <div className={styles.panelWrap}>
        <div className={styles.panel}>
          <fieldset className={styles.group} disabled={!loaded}>
            <legend>Pose</legend>
            {POSE_SLIDERS.map((s) => {
              const id = `${idPrefix}-pose-${s.id}`;
              const degrees = pose[s.joint][s.axis] / DEG;
              return (
                <div className={styles.slider} key={s.id}>
                  <label htmlFor={id}>{s.label}</label>
                  <input
                    id={id}
                    type="range"
                    min={s.min}
                    max={s.max}
                    step={1}
                    value={Math.round(degrees)}
                    onChange={(e) => {
                      const value = Number(e.currentTarget.value) * DEG;
                      setPose((previous) => {
                        const next = structuredClone(previous);
                        next[s.joint][s.axis] = value;
                        return next;
                      });
                    }}
                  />
                  <output htmlFor={id}>{Math.round(degrees)}°</output>
                </div>
              );
            })}
          </fieldset>
          {!loaded && morphNames.length === 0 && <p className={styles.placeholder}>Expression sliders appear when the model has loaded.</p>}
          {groups.map((group) => (
            <details key={group.region} className={styles.group} open={group.region === 'jaw'}>
              <summary>
                {group.label} <span className={styles.count}>{group.names.length}</span>
              </summary>
              {group.names.map((name) => {
                const id = `${idPrefix}-morph-${name}`;
                const value = playing ? 0 : (weights[name] ?? 0);
                return (
                  <div className={styles.slider} key={name}>
                    <label htmlFor={id} title={name}>
                      <span className="sr-only">{group.label} </span>
                      {shortLabel(name)}
                    </label>
                    <input id={id} type="range" name={name} min={0} max={1} step={0.01} value={value} disabled={!loaded || playing} onChange={onMorph} data-morph={name} />
                    <output htmlFor={id}>{value.toFixed(2)}</output>
                  </div>
                );
              })}
            </details>
          ))}
        </div>
      </div>
    </section>
  );
}
