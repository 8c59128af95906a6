/**
 * Drives a loaded head: ARKit weights -> morph influences, joint rotations -> bone quaternions. No renderer,
 * so a unit test can apply a frame in Node and compare three.js's CPU skinning (the same order as the
 * shader: morphs, then skinning) with @seif/flame's `evaluate` (test/viewer-matches-flame.test.ts).
 */
import * as THREE from 'three';

export type Vec3 = [number, number, number];

/** Manual joint rotations (axis-angle, radians, FLAME's convention); `eyes` turns both eyes. */
export interface PoseState {
  neck: Vec3;
  jaw: Vec3;
  eyes: Vec3;
}

export const NEUTRAL_POSE: Readonly<PoseState> = Object.freeze<PoseState>({ neck: [0, 0, 0], jaw: [0, 0, 0], eyes: [0, 0, 0] });

/** A joint rotation an ARKit shape implies at weight 1 (the GLB's asset.extras.jointDrives). */
export interface JointDrive {
  joint: string;
  rotation: Vec3;
}

/** FLAME's joints (libs/flame FLAME_JOINT_NAMES) that the pose sliders drive. */
const POSE_JOINTS: Readonly<Record<string, keyof PoseState>> = { neck: 'neck', jaw: 'jaw', eye_l: 'eyes', eye_r: 'eyes' };

const _axis = new THREE.Vector3();
const _sum: Vec3 = [0, 0, 0];

/** Axis-angle -> quaternion; a zero vector is the identity. */
export function setAxisAngle(target: THREE.Quaternion, v: Readonly<Vec3>): THREE.Quaternion {
  const angle = Math.hypot(v[0], v[1], v[2]);
  if (angle < 1e-12) return target.identity();
  return target.setFromAxisAngle(_axis.set(v[0] / angle, v[1] / angle, v[2] / angle), angle);
}

export class HeadRig {
  readonly morphMeshes: THREE.Mesh[] = [];
  readonly materials: THREE.Material[] = [];
  readonly bones = new Map<string, THREE.Object3D>();
  readonly morphNames: string[];

  constructor(
    readonly root: THREE.Object3D,
    /** Shapes that also turn a joint, e.g. jawOpen -> jaw (from asset.extras.jointDrives). */
    readonly drives: Readonly<Record<string, readonly JointDrive[]>> = {},
  ) {
    const names = new Set<string>();
    root.traverse((object) => {
      if ((object as THREE.Bone).isBone) this.bones.set(object.name, object);
      const mesh = object as THREE.Mesh;
      if (!mesh.isMesh) return;
      for (const material of Array.isArray(mesh.material) ? mesh.material : [mesh.material]) this.materials.push(material);
      if (mesh.morphTargetDictionary) {
        this.morphMeshes.push(mesh);
        for (const name of Object.keys(mesh.morphTargetDictionary)) names.add(name);
      }
    });
    this.morphNames = [...names];
  }

  /**
   * Morph influences by name (missing names are 0), then each bone's rotation: the manual pose plus, for every
   * active shape with a joint drive, weight x its rotation (axis-angle vectors add, as in resolveFrame).
   */
  apply(weights: Readonly<Record<string, number>>, pose: Readonly<PoseState> = NEUTRAL_POSE): void {
    for (const mesh of this.morphMeshes) {
      const influences = mesh.morphTargetInfluences;
      if (!influences) continue;
      for (const [name, index] of Object.entries(mesh.morphTargetDictionary ?? {})) influences[index] = weights[name] ?? 0;
    }
    for (const [joint, bone] of this.bones) {
      const manualKey = POSE_JOINTS[joint];
      const manual = manualKey ? pose[manualKey] : undefined;
      _sum[0] = manual?.[0] ?? 0;
      _sum[1] = manual?.[1] ?? 0;
      _sum[2] = manual?.[2] ?? 0;
      for (const [name, drives] of Object.entries(this.drives)) {
        const weight = weights[name] ?? 0;
        if (weight === 0) continue;
        for (const drive of drives) {
          if (drive.joint !== joint) continue;
          for (let a = 0; a < 3; a++) _sum[a] = _sum[a]! + weight * drive.rotation[a]!;
        }
      }
      setAxisAngle(bone.quaternion, _sum);
    }
  }
}
