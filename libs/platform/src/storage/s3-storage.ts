/**
 * ObjectStorage on any S3-compatible service (AWS S3, MinIO, Ceph, R2, s3rver in tests) with the AWS SDK v3.
 * Note: AWS SDK v3 releases after early 2027 require Node 22 (it warns on Node 20); pin before then.
 *
 * Whole-object semantics come from S3 itself: a PUT (or a multipart upload's completion) makes the object
 * appear at once, and a failed multipart upload is aborted, so readers never see a partial object.
 */
import { Transform, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidKey, type ObjectStorage, ObjectNotFoundError, type PresignOptions, type StoredObject } from './object-storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible services; omit for AWS. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  /** Use this client instead of building one (tests, custom credentials providers). */
  client?: S3Client;
}

export const S3_POLICY = Object.freeze({
  /** DeleteObjects takes at most 1000 keys per request (S3 API reference). */
  DELETE_BATCH: 1000,
  /** Multipart part size for streamed uploads: S3's minimum part size is 5 MiB. */
  PART_BYTES: 5 * 1024 * 1024,
  /** Parts uploaded at once per streamed upload; bounds memory at about PART_BYTES x this. */
  QUEUE_SIZE: 4,
  /** SigV4 presigned URLs live at most 7 days. */
  MAX_PRESIGN_SECONDS: 7 * 24 * 60 * 60,
});

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** Counts bytes flowing through, because a streamed body's size is only known at its end. */
function byteCounter(): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}

export class S3Storage implements ObjectStorage {
  readonly driver = 's3' as const;
  readonly bucket: string;
  readonly client: S3Client;

  constructor(options: S3StorageOptions) {
    if (!options?.bucket) throw new TypeError('S3Storage needs { bucket } (S3_BUCKET)');
    this.bucket = options.bucket;
    this.client =
      options.client ??
      new S3Client({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        // Since 2025 the SDK adds CRC checksums (and aws-chunked trailers on streams) to every upload; many
        // S3-compatible servers reject those. Only where the API requires a checksum (e.g. DeleteObjects).
        ...(options.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
      });
  }

  /** Creates the bucket if it is missing (development and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, body: Buffer | Uint8Array | Readable, options: { contentType: string }): Promise<StoredObject> {
    assertValidKey(key);
    if (body instanceof Uint8Array) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: options.contentType, ContentLength: body.byteLength }));
      return { key, bytes: body.byteLength, contentType: options.contentType };
    }
    const counter = byteCounter();
    // A failing source must fail the upload: pipe() alone would leave the counter open forever.
    body.once('error', (error) => counter.destroy(error));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body.pipe(counter), ContentType: options.contentType },
      partSize: S3_POLICY.PART_BYTES,
      queueSize: S3_POLICY.QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
    return { key, bytes: counter.bytes, contentType: options.contentType };
  }

  async get(key: string): Promise<Readable> {
    assertValidKey(key);
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return result.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    assertValidKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, bytes: Number(head.ContentLength ?? 0), contentType: head.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const trimmed = prefix.replace(/\/+$/, '');
    assertValidKey(trimmed);
    // Same matching as LocalStorage: "a/b/" is the folder a/b (and an object named exactly a/b); "a/b" is a
    // plain string prefix.
    const matches = (key: string) => key === trimmed || key.startsWith(`${trimmed}/`) || (!prefix.endsWith('/') && key.startsWith(trimmed));
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: trimmed, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key && matches(object.Key)) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (let i = 0; i < keys.length; i += S3_POLICY.DELETE_BATCH) {
      const batch = keys.slice(i, i + S3_POLICY.DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (result.Errors?.length) {
        const first = result.Errors[0]!;
        throw new Error(`Deleting ${result.Errors.length} of ${batch.length} objects under "${prefix}" failed, e.g. ${first.Key}: ${first.Code} ${first.Message}`);
      }
    }
    return keys.length;
  }

  async presignGet(key: string, options: PresignOptions): Promise<string> {
    assertValidKey(key);
    const expiresIn = Math.round(options.expiresSeconds);
    if (!(expiresIn >= 1 && expiresIn <= S3_POLICY.MAX_PRESIGN_SECONDS)) {
      throw new RangeError(`expiresSeconds must be from 1 to ${S3_POLICY.MAX_PRESIGN_SECONDS} (7 days, SigV4's limit), got ${options.expiresSeconds}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(options.downloadName ? { ResponseContentDisposition: `attachment; filename="${options.downloadName.replace(/["\\\r\n]/g, '_')}"` } : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  /** Closes the SDK's sockets. */
  close(): void {
    this.client.destroy();
  }
}
