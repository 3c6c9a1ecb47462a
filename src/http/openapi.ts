import { z } from 'zod';
import type { AnyRoute } from './route.js';

type Json = Record<string, unknown>;

/** Definitions that recursive schemas (an item's components) need are hoisted into `hoisted` (components/schemas). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', name: string, hoisted: Record<string, Json>): Json {
  const s = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as Json;
  const defs = (s.$defs ?? {}) as Record<string, Json>;
  const rest = Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema' && k !== '$defs'));
  // `#/$defs/x` is relative to the schema's own root; in the document it must point at components.
  const rewrite = (v: Json): Json =>
    JSON.parse(
      JSON.stringify(v)
        .replaceAll('"#/$defs/', `"#/components/schemas/${name}.`)
        .replaceAll('"#"', `"#/components/schemas/${name}"`),
    ) as Json;
  if (Object.keys(defs).length > 0) {
    for (const [k, d] of Object.entries(defs)) hoisted[`${name}.${k}`] = rewrite(d);
    if (JSON.stringify(rest).includes('"#"')) hoisted[name] = rewrite(rest);
  }
  return rewrite(rest);
}

const problemSchema: Json = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: {
      type: 'string',
      description:
        'stable error code (AppError / ValidationError / StoreError codes, or an HTTP-layer code). HTTP-layer codes include JSON_TOO_DEEP (400: a JSON body nested more than 64 deep), JSON_DUPLICATE_KEY (400: a member name twice in one object; `field` is its path), RATE_LIMITED (429, with Retry-After: per client address, then per credential), IDEMPOTENCY_IN_PROGRESS (409, with Retry-After: an identical request is still running), IDEMPOTENCY_RESPONSE_LOST (409: the work was recorded but its answer was never stored), STORE_UNAVAILABLE (503: the database did not answer within its timeouts; nothing was written), UNSUPPORTED_MEDIA_TYPE (415: a body that is not application/json or application/ld+json), NO_ROUTE (404: no such path), METHOD_NOT_ALLOWED (405, with Allow)',
    },
    field: { type: 'string', description: 'the input field the problem is about' },
    errors: {
      type: 'array',
      description:
        'every fault of an input that has several (an EPCIS document against its schema), the first being the one field and detail name',
      items: {
        type: 'object',
        required: ['field', 'reason'],
        properties: { field: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    refusals: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rule', 'message'],
        properties: {
          rule: { type: 'string' },
          message: { type: 'string' },
          chain: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

function parameters(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  name: string,
  hoisted: Record<string, Json>,
): Json[] {
  if (schema === undefined) return [];
  const s = jsonSchema(schema, 'input', name, hoisted);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: p,
  }));
}

const problemRef = { $ref: '#/components/responses/Problem' };

/** OpenAPI response header objects from a route's header descriptions. */
const responseHeaders = (describe: Readonly<Record<string, string>>): Json =>
  Object.fromEntries(Object.entries(describe).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]));

/** The OpenAPI 3.1 document of the route table: the same zod schemas the server validates with. */
export function openApiDocument(routes: readonly AnyRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const hoisted: Record<string, Json> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const headers: Json[] = [];
    if (r.method === 'POST')
      headers.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        schema: { type: 'string', minLength: 1, maxLength: 255 },
        description:
          'A retry with the same key and body returns the first response without recording again; the same key with another body is refused (422); while the first request is still running, 409 IDEMPOTENCY_IN_PROGRESS with Retry-After.',
      });
    for (const [name, description] of Object.entries(r.requestHeaders ?? {})) {
      headers.push({ name, in: 'header', required: false, schema: { type: 'string' }, description });
    }
    if (r.records)
      headers.push({
        name: 'Lodestone-Signature',
        in: 'header',
        required: true,
        schema: { type: 'string' },
        description:
          "Compact JWS with detached payload (RFC 7515 App. F) over the exact body, signed with the party's registered Ed25519 key; protected header {alg:EdDSA,kid,typ:lodestone-request+jws,htm,htu,iat,nonce}.",
      });
    const op: Json = {
      operationId: r.id,
      tags: [r.tag],
      summary: r.summary,
      description: `Roles: ${r.access.roles.join(', ')}. Access: ${r.access.describe}.${r.records ? ' Makes journal records: signed request required.' : ''}`,
      'x-lodestone-access': { roles: r.access.roles, owner: r.access.describe, records: r.records },
      security: [{ apiKey: [] }],
      parameters: [
        ...parameters(r.params, 'path', `${r.id}.params`, hoisted),
        ...parameters(r.query, 'query', `${r.id}.query`, hoisted),
        ...headers,
      ],
      responses: {
        [String(r.status ?? 200)]: {
          description: r.status === 202 ? 'Accepted' : 'OK',
          ...(r.headers === undefined ? {} : { headers: responseHeaders(r.headers.describe) }),
          content: {
            'application/json': { schema: jsonSchema(r.response, 'output', `${r.id}.response`, hoisted) },
            ...(r.csv === undefined
              ? {}
              : {
                  'text/csv': { schema: { type: 'string', description: `RFC 4180 CSV, every matching row: ${r.csv}` } },
                }),
          },
        },
        ...Object.fromEntries((r.problems ?? []).map((s) => [String(s), problemRef])),
        '400': problemRef,
        '401': problemRef,
        '403': problemRef,
        '404': problemRef,
        '405': { $ref: '#/components/responses/MethodNotAllowed' },
        ...(r.method === 'POST' ? { '409': problemRef, '413': problemRef, '422': problemRef } : {}),
        ...(r.body !== undefined ? { '415': problemRef } : {}),
        '429': problemRef,
        '503': problemRef,
      },
    };
    if (r.body !== undefined) {
      // The server parses both media types the same way (JSON-LD documents are JSON); any other is 415.
      const schema = jsonSchema(r.body, 'input', `${r.id}.body`, hoisted);
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema }, 'application/ld+json': { schema } },
      };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lodestone API',
      version: '0.1.0',
      description:
        'Export-control and end-use assurance: licensing, certificates, chain of custody, screening and the transparency log. Every route needs an API key; routes that make records also need a request signed with the party key.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer lsk_… (lodestone credentials issue)',
        },
      },
      schemas: { Problem: problemSchema, ...hoisted },
      responses: {
        Problem: {
          description: 'Problem details (RFC 9457)',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
        MethodNotAllowed: {
          description: 'The path exists, the method does not (code METHOD_NOT_ALLOWED); problem details (RFC 9457)',
          headers: { Allow: { description: 'The methods the path has', schema: { type: 'string' } } },
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    },
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained reference page (no script, no CDN): every operation with its access rule and schemas. */
export function docsPage(doc: Json): string {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const ops: string[] = [];
  const index: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = escape(String(op.operationId));
      index.push(
        `<li><a href="#${id}"><code>${method.toUpperCase()} ${escape(path)}</code></a> — ${escape(String(op.summary))}</li>`,
      );
      const body = (op.requestBody as Json | undefined)?.content as Record<string, { schema: unknown }> | undefined;
      const responses = op.responses as Record<string, Json>;
      const ok = Object.entries(responses).find(([s]) => s.startsWith('2'));
      const okSchema = (ok?.[1].content as Record<string, { schema: unknown }> | undefined)?.['application/json']
        ?.schema;
      ops.push(
        `<section id="${id}"><h3><code>${method.toUpperCase()} ${escape(path)}</code></h3><p>${escape(String(op.summary))}</p><p><em>${escape(String(op.description))}</em></p>` +
          ((op.parameters as Json[]).length > 0
            ? `<h4>Parameters</h4><ul>${(op.parameters as Json[]).map((p) => `<li><code>${escape(String(p.name))}</code> (${escape(String(p.in))}${p.required === true ? ', required' : ''})</li>`).join('')}</ul>`
            : '') +
          (body
            ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(body['application/json']?.schema, null, 2))}</pre></details>`
            : '') +
          `<details><summary>Response ${escape(ok?.[0] ?? '')}</summary><pre>${escape(JSON.stringify(okSchema, null, 2))}</pre></details></section>`,
      );
    }
  }
  const info = doc.info as { title: string; description: string };
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(info.title)}</title>` +
    `<style>body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto;max-height:30rem}section{border-top:1px solid #ddd;padding-top:.5rem}h3 code{font-size:1rem}</style></head>` +
    `<body><h1>${escape(info.title)}</h1><p>${escape(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code>.</p><h2>Operations</h2><ul>${index.join('')}</ul>${ops.join('')}</body></html>`
  );
}
