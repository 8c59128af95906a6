'use server';
/**
 * Server actions behind the viewer's "Save animation": createAnimation with the session's key (which never
 * reaches the browser), then the finished animation's GLB as a same-origin download link. Progress in between
 * comes from /api/animations/<id>/events. Failures come back as `{ error }`, never as thrown errors (production
 * builds replace a thrown error's message with a digest).
 */
import { ApiError, type UserError, graphql } from '../../../lib/api';
import { artifactHref } from '../../../lib/artifacts';
import { readKey } from '../../../lib/session';
import type { AnimationInput } from './animation-input';

type Failure = { error: { code: string; message: string } };

const CREATE = `mutation($input: CreateAnimationInput!) { createAnimation(input: $input) { animation { id status } errors { code message } } }`;
const RESULT = `query($id: ID!) { animation(id: $id) { status error { code message } artifacts { kind bytes url } } }`;

function failure(error: unknown): Failure {
  if (error instanceof ApiError) return { error: { code: error.code, message: error.message } };
  return { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
}

async function key(): Promise<string | Failure> {
  return (await readKey()) ?? { error: { code: 'UNAUTHENTICATED', message: 'Your session has ended: sign in again.' } };
}

/** Only the three kinds the viewer produces go through (the API checks names and ranges). */
function checked(input: AnimationInput): AnimationInput | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  if ('preset' in input && typeof input.preset === 'string') return { preset: input.preset };
  if ('arkitWeights' in input && typeof input.arkitWeights === 'object') return { arkitWeights: input.arkitWeights };
  if ('flameParams' in input && typeof input.flameParams === 'object') return { flameParams: input.flameParams };
  return undefined;
}

export async function startAnimation(reconstructionId: string, input: AnimationInput): Promise<{ animationId: string } | Failure> {
  const apiKey = await key();
  if (typeof apiKey !== 'string') return apiKey;
  const frame = checked(input);
  if (!frame) return { error: { code: 'INVALID_ARGUMENT', message: 'Nothing to save.' } };
  try {
    const data = await graphql<{ createAnimation: { animation: { id: string } | null; errors: UserError[] } }>(CREATE, { input: { reconstructionId, ...frame } }, apiKey);
    const error = data.createAnimation.errors[0];
    if (error || !data.createAnimation.animation) return { error: error ?? { code: 'INTERNAL', message: 'The animation was not created.' } };
    return { animationId: data.createAnimation.animation.id };
  } catch (error) {
    return failure(error);
  }
}

/** The GLB of a succeeded animation as a link for the browser, named `fileName`. */
export async function animationDownload(animationId: string, fileName: string): Promise<{ href: string; bytes: number } | Failure> {
  const apiKey = await key();
  if (typeof apiKey !== 'string') return apiKey;
  try {
    const data = await graphql<{ animation: { status: string; error: { code: string; message: string } | null; artifacts: { kind: string; bytes: number; url: string }[] } | null }>(
      RESULT,
      { id: animationId },
      apiKey,
    );
    const animation = data.animation;
    if (!animation) return { error: { code: 'NOT_FOUND', message: 'The animation is gone (was the subject deleted?).' } };
    if (animation.error) return { error: animation.error };
    const glb = animation.artifacts.find((a) => a.kind === 'GLB');
    if (animation.status !== 'SUCCEEDED' || !glb) return { error: { code: 'NOT_READY', message: `The animation is ${animation.status.toLowerCase()}, without a GLB yet.` } };
    const name = /^[A-Za-z0-9._-]{1,100}$/.test(fileName) ? fileName : 'animation.glb';
    return { href: artifactHref(glb.url, name), bytes: glb.bytes };
  } catch (error) {
    return failure(error);
  }
}
