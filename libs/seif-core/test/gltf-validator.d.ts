// Minimal typing for the Khronos validator (npm gltf-validator ships none).
declare module 'gltf-validator' {
  export interface ValidationReport {
    issues: { numErrors: number; numWarnings: number; messages: { code: string; message: string; severity: number; pointer?: string }[] };
    info?: { hasMorphTargets?: boolean; hasSkins?: boolean; resources?: { mimeType?: string }[] } & Record<string, unknown>;
  }
  export function validateBytes(data: Uint8Array, options?: { uri?: string; maxIssues?: number }): Promise<ValidationReport>;
}
