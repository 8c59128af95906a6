/**
 * The viewer's three.js side, kept out of React: renderer, camera, orbit controls, room-environment lighting,
 * GLB loading (meshopt), morph influences by ARKit name, FLAME joint rotations on the skeleton, wireframe,
 * the expression clip and screenshots. Renders on demand (something changed, the controls are still damping,
 * or the clip plays), so an idle viewer costs nothing; the shared machines render with SwiftShader.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { sampleClip } from './clip';
import { type HeadParts, type PartVisibility, applyPartVisibility, findParts } from './parts';
import { HeadRig, type JointDrive, NEUTRAL_POSE, type PoseState } from './rig';

export type { PoseState, Vec3 } from './rig';
export { NEUTRAL_POSE } from './rig';

export interface LoadedHead {
  morphNames: string[];
  bones: string[];
  /** The GLB's asset.extras (head-model name, licence, joint drives). */
  metadata: Record<string, unknown>;
  /** Meshes per part (parts.ts: `head`/`eye*` FLAME, `hair*`, anything else beyond FLAME). */
  parts: Record<keyof HeadParts, number>;
}

/** Share of the view's height the head fills after framing. */
const FILL = 0.9;

const _offset = new THREE.Vector3();
const _spherical = new THREE.Spherical();

export class HeadScene {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(26, 1, 0.01, 20);
  readonly controls: OrbitControls;
  private readonly environment: THREE.Texture;
  private root: THREE.Object3D | undefined;
  private rig: HeadRig | undefined;
  private parts: HeadParts = { flame: [], hair: [], other: [] };
  private visibility: PartVisibility = { hair: true, flameOnly: false };
  private weights: Record<string, number> = {};
  private pose: PoseState = structuredClone(NEUTRAL_POSE) as PoseState;
  private home: { target: THREE.Vector3; position: THREE.Vector3 } | undefined;
  private clipStart: number | undefined;
  private readonly clipWeights: Record<string, number> = {};
  private dirty = true;
  private disposed = false;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, alpha: true, preserveDrawingBuffer: false });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    // Neutral (Khronos PBR Neutral) keeps the skin's base colour instead of ACES's orange-shifted highlights.
    this.renderer.toneMapping = THREE.NeutralToneMapping;
    this.renderer.toneMappingExposure = 1.0;

    const pmrem = new THREE.PMREMGenerator(this.renderer);
    this.environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    this.scene.environment = this.environment;
    // The room is the fill (dimmed, or the face goes flat); a warm key from the upper left models the face and
    // a cool rim from behind separates the head from the dark background.
    this.scene.environmentIntensity = 0.4;
    const key = new THREE.DirectionalLight(0xfff1e0, 2.4);
    key.position.set(-0.7, 0.9, 1.0);
    const rim = new THREE.DirectionalLight(0xc4dcff, 1.8);
    rim.position.set(0.8, 0.5, -1.0);
    this.scene.add(key, rim);

    this.camera.position.set(0, 0, 1);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.enablePan = false;
    this.controls.addEventListener('change', () => (this.dirty = true));
    this.renderer.setAnimationLoop((time) => this.tick(time));
  }

  /** Loads a GLB; resolves once it is in the scene and framed. */
  async load(url: string, signal?: AbortSignal): Promise<LoadedHead> {
    const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
    const gltf = await loader.loadAsync(url);
    if (signal?.aborted || this.disposed) throw new DOMException('viewer closed while loading', 'AbortError');
    if (this.root) this.scene.remove(this.root);
    this.root = gltf.scene;
    this.scene.add(gltf.scene);
    const extras = (gltf.asset as { extras?: Record<string, unknown> }).extras ?? {};
    this.rig = new HeadRig(gltf.scene, (extras.jointDrives as Record<string, JointDrive[]> | undefined) ?? {});
    this.parts = findParts(gltf.scene);
    this.apply();
    // Framed on the full head, whatever is hidden later, so toggling parts never moves the camera.
    this.frame();
    applyPartVisibility(this.parts, this.visibility);
    this.dirty = true;
    const parts = { flame: this.parts.flame.length, hair: this.parts.hair.length, other: this.parts.other.length };
    return { morphNames: this.rig.morphNames, bones: [...this.rig.bones.keys()], metadata: extras, parts };
  }

  /** Back to the framing computed at load. */
  resetView(): void {
    if (!this.home) return this.frame();
    this.controls.target.copy(this.home.target);
    this.camera.position.copy(this.home.position);
    this.controls.update();
    this.dirty = true;
  }

  /** Puts the head in the middle of the view, filling about 90 % of its height; remembered for resetView(). */
  frame(): void {
    if (!this.root) return;
    this.root.updateMatrixWorld(true);
    const box = new THREE.Box3().setFromObject(this.root, true);
    if (box.isEmpty()) return;
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    const fov = THREE.MathUtils.degToRad(this.camera.fov);
    const fitHeight = (0.5 * size.y) / FILL / Math.tan(fov / 2);
    const fitWidth = (0.5 * Math.max(size.x, size.z)) / FILL / Math.tan(fov / 2) / Math.max(this.camera.aspect, 1e-3);
    const distance = Math.max(fitHeight, fitWidth) + 0.5 * size.z;
    this.controls.target.copy(centre);
    // A little from the subject's left and above: a portrait three-quarter view reads depth better than a mugshot.
    const direction = new THREE.Vector3(0.28, 0.1, 1).normalize();
    this.camera.position.copy(centre).addScaledVector(direction, distance);
    this.camera.near = distance / 50;
    this.camera.far = distance * 10;
    this.camera.updateProjectionMatrix();
    this.controls.minDistance = distance * 0.4;
    this.controls.maxDistance = distance * 2.5;
    this.controls.update();
    this.home = { target: this.controls.target.clone(), position: this.camera.position.clone() };
    this.dirty = true;
  }

  /** Keyboard orbit: turns the camera about the target (radians); the polar angle stays off the poles. */
  orbit(azimuth: number, polar: number): void {
    _offset.copy(this.camera.position).sub(this.controls.target);
    _spherical.setFromVector3(_offset);
    _spherical.theta += azimuth;
    _spherical.phi = THREE.MathUtils.clamp(_spherical.phi + polar, 0.15, Math.PI - 0.15);
    this.camera.position.copy(this.controls.target).add(_offset.setFromSpherical(_spherical));
    this.controls.update();
    this.dirty = true;
  }

  /** Keyboard zoom: factor < 1 moves closer, within the controls' distance limits. */
  zoom(factor: number): void {
    _offset.copy(this.camera.position).sub(this.controls.target);
    const distance = THREE.MathUtils.clamp(_offset.length() * factor, this.controls.minDistance, this.controls.maxDistance);
    this.camera.position.copy(this.controls.target).add(_offset.setLength(distance));
    this.controls.update();
    this.dirty = true;
  }

  setWeights(weights: Readonly<Record<string, number>>): void {
    this.weights = { ...weights };
    this.apply();
  }

  setPose(pose: Readonly<PoseState>): void {
    this.pose = structuredClone(pose) as PoseState;
    this.apply();
  }

  setWireframe(on: boolean): void {
    for (const material of this.rig?.materials ?? []) (material as THREE.MeshStandardMaterial).wireframe = on;
    this.dirty = true;
  }

  /** Shows or hides the hair and the other non-FLAME meshes (parts.ts). */
  setPartVisibility(visibility: Readonly<PartVisibility>): void {
    this.visibility = { ...visibility };
    applyPartVisibility(this.parts, this.visibility);
    this.dirty = true;
  }

  /** Plays the looping expression clip (it overrides the sliders while it plays), or stops it. */
  setClipPlaying(on: boolean): void {
    this.clipStart = on ? performance.now() : undefined;
    this.apply();
  }

  resize(width: number, height: number): void {
    if (width <= 0 || height <= 0) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  /** The current view as a PNG data URL (rendered now: the drawing buffer is not preserved between frames). */
  screenshot(): string {
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
    return this.canvas.toDataURL('image/png');
  }

  dispose(): void {
    this.disposed = true;
    this.renderer.setAnimationLoop(null);
    this.controls.dispose();
    this.root?.traverse((object) => {
      const mesh = object as THREE.Mesh;
      if (mesh.isMesh) mesh.geometry.dispose();
    });
    for (const material of this.rig?.materials ?? []) material.dispose();
    this.environment.dispose();
    this.renderer.dispose();
  }

  private tick(time: number): void {
    if (this.clipStart !== undefined) this.apply((time - this.clipStart) / 1000);
    if (this.controls.update()) this.dirty = true;
    if (!this.dirty) return;
    this.dirty = false;
    this.renderer.render(this.scene, this.camera);
  }

  /** Morph influences, then joints: manual pose plus what the active shapes imply (jawOpen turns the jaw). */
  private apply(clipSeconds?: number): void {
    const weights = this.clipStart !== undefined ? sampleClip(clipSeconds ?? 0, this.clipWeights) : this.weights;
    this.rig?.apply(weights, this.pose);
    this.dirty = true;
  }
}
