/**
 * A server-side copy through objects.rewrite: Cloud Storage moves the bytes, in
 * as many calls as it needs (each answers with a rewriteToken until done), so
 * no object is ever held in this process. Every call repeats the same
 * preconditions and metadata, as the API requires.
 */
import type { Storage } from '@google-cloud/storage';

export interface RewriteRequest {
  readonly source: { readonly bucket: string; readonly name: string; readonly generation: bigint };
  readonly target: { readonly bucket: string; readonly name: string };
  /** The target's current generation, or 0n when it must not exist yet. */
  readonly ifTargetGenerationMatch: bigint;
  /** Object resource for the target (content type, metadata...). */
  readonly resource: Record<string, unknown>;
  /** Checked between calls: stop a long copy when the request's deadline passes. */
  readonly signal: AbortSignal;
}

export interface RewriteResult {
  readonly bytes: bigint;
  readonly rounds: number;
  readonly targetGeneration?: string;
}

interface RewriteResponse {
  totalBytesRewritten?: string;
  objectSize?: string;
  done?: boolean;
  rewriteToken?: string;
  resource?: { generation?: string };
}

export async function rewriteObject(storage: Storage, request: RewriteRequest): Promise<RewriteResult> {
  const { source, target } = request;
  const file = storage.bucket(source.bucket).file(source.name);
  const query: Record<string, string> = {
    sourceGeneration: source.generation.toString(),
    ifSourceGenerationMatch: source.generation.toString(),
    ifGenerationMatch: request.ifTargetGenerationMatch.toString(),
  };
  let token: string | undefined;
  for (let rounds = 1; ; rounds++) {
    request.signal.throwIfAborted();
    const [response] = (await file.request({
      method: 'POST',
      uri: `/rewriteTo/b/${encodeURIComponent(target.bucket)}/o/${encodeURIComponent(target.name)}`,
      qs: token === undefined ? query : { ...query, rewriteToken: token },
      json: request.resource,
    })) as unknown as [RewriteResponse];
    if (response.done) {
      return {
        bytes: BigInt(response.totalBytesRewritten ?? response.objectSize ?? '0'),
        rounds,
        targetGeneration: response.resource?.generation,
      };
    }
    if (!response.rewriteToken) throw new Error('rewrite answered neither done nor a rewriteToken');
    token = response.rewriteToken;
  }
}
