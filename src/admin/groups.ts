// Pre-defined groups (DESIGN "Fixed points"): OMA shared group documents managed through the
// admin port (PUT/GET/DELETE /groups/<id>) and `imedge group`. One service validates a
// document the same way for both doors; the store keeps the text as given.
import type * as http from 'node:http';
import { parseSipUri } from '../sip/stack';
import { parseGroupDocument, XmlError, type GroupDocument } from '../xml';
import { DATA_HEADERS, json, readBody } from './respond';
import { accountNameRefusal } from '../im/controlling/focus';
import { MAX_GROUP_DOCUMENT_BYTES, StoreLimitError, isStoreFull, isValidSipUser, type GroupRecord, type GroupRepository } from '../store';

/** A document refused, with where (element path or key) and why: becomes 400 / exit 2. */
export class GroupDocumentError extends Error {
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
  }
}

/**
 * Issue 11 item 5: groups.maxStoredGroups are stored and this one is new: nothing written.
 * HTTP 507 Insufficient Storage (RFC 4918 11.5: the server cannot store what the request
 * needs; a limit of the box, not a conflict with the group's own state as 409 would say).
 */
export class GroupLimitError extends Error {
  constructor(readonly limit: number) {
    super(`the group limit is reached: ${limit} groups are stored (groups.maxStoredGroups); delete one or raise the limit`);
  }
}

export interface GroupEvents {
  /** OMA IM 7.2.2.8 rule 1f: a deleted group ends its session. */
  onDeleted?(id: string): void;
  /** 7.2.2.8 rule 2a: a changed document may remove participants from a running session. */
  onChanged?(id: string, doc: GroupDocument): void;
}

export class GroupService {
  constructor(
    private readonly repo: GroupRepository,
    private readonly domain: string,
    private readonly events: GroupEvents = {},
    private readonly now: () => number = Date.now,
    /** groups.maxStoredGroups */
    private readonly maxStored: number = Number.POSITIVE_INFINITY,
    /** Told once per refusal (counted and logged by the caller). */
    private readonly onLimit: (limit: number) => void = () => undefined,
  ) {}

  /** New groups refused at maxStored since start. */
  refusedAtLimit = 0;

  /** Parses and checks a document; its list-service uri must be sip:<id>@<domain> (and match urlId when given). */
  validate(xml: string | Uint8Array, urlId?: string): { id: string; doc: GroupDocument } {
    let doc: GroupDocument;
    try {
      doc = parseGroupDocument(xml);
    } catch (err) {
      if (err instanceof XmlError) throw new GroupDocumentError(err.path ?? 'group', err.reason);
      throw err;
    }
    const u = parseSipUri(doc.uri);
    const id = u?.user;
    if (u === undefined || u.scheme !== 'sip' || id === undefined || !isValidSipUser(id)) {
      throw new GroupDocumentError('list-service/@uri', `must be sip:<group-id>@${this.domain}, not "${doc.uri.slice(0, 64)}"`);
    }
    if (u.host.toLowerCase() !== this.domain.toLowerCase()) {
      throw new GroupDocumentError('list-service/@uri', `the group must be in the served domain ${this.domain}, not ${u.host.slice(0, 64)}`);
    }
    const refused = accountNameRefusal(id);
    if (refused !== undefined) throw new GroupDocumentError('list-service/@uri', refused);
    if (urlId !== undefined && urlId !== id) {
      throw new GroupDocumentError('list-service/@uri', `names group "${id}", but the request is for "${urlId}"`);
    }
    return { id, doc };
  }

  put(xml: string | Uint8Array, urlId?: string): { id: string; result: 'created' | 'updated' } {
    const { id, doc } = this.validate(xml, urlId);
    const text = typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
    let result: 'created' | 'updated';
    try {
      result = this.repo.put(id, text, this.now(), this.maxStored);
    } catch (err) {
      if (!(err instanceof StoreLimitError)) throw err;
      this.refusedAtLimit++;
      this.onLimit(err.limit);
      throw new GroupLimitError(err.limit);
    }
    if (result === 'updated') this.events.onChanged?.(id, doc);
    return { id, result };
  }

  get(id: string): GroupRecord | undefined {
    return isValidSipUser(id) ? this.repo.get(id) : undefined;
  }

  list(): GroupRecord[] {
    return this.repo.list();
  }

  delete(id: string): boolean {
    if (!isValidSipUser(id) || !this.repo.delete(id)) return false;
    this.events.onDeleted?.(id);
    return true;
  }
}

const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/vnd.oma.xdm-group+xml']);

/** GET /groups: the ids and update times. POST /groups: a document imported, its id read from its list-service uri. */
export function groupListHandler(groups: GroupService) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method === 'POST') return putDocument(groups, req, res, undefined);
    json(res, 200, { groups: groups.list().map((g) => ({ id: g.id, uri: `/groups/${encodeURIComponent(g.id)}`, updatedAt: new Date(g.updatedAt).toISOString() })) });
  };
}

/** An XML document stored (created or replaced): 201/200, or 400 naming the element. */
async function putDocument(groups: GroupService, req: http.IncomingMessage, res: http.ServerResponse, urlId: string | undefined): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!XML_TYPES.has(type)) {
    res.setHeader('connection', 'close');
    return json(res, 415, { error: `Content-Type must be application/xml, not "${type.slice(0, 64)}"` });
  }
  const body = await readBody(req, res, MAX_GROUP_DOCUMENT_BYTES);
  if (body === undefined) return;
  try {
    const { id, result } = groups.put(body, urlId);
    return json(res, result === 'created' ? 201 : 200, { id, result });
  } catch (err) {
    if (!answerWriteRefusal(res, err)) throw err;
  }
}

/**
 * Answers a group write that GroupService refused (a bad document 400, the stored-groups limit
 * or a full disk 507, in words); false when the error is none of those. Every route that writes
 * a group (PUT/POST /groups, the page's form) answers through it, so none forgets one.
 */
export function answerWriteRefusal(res: http.ServerResponse, err: unknown): boolean {
  if (err instanceof GroupDocumentError) json(res, 400, { error: err.message, element: err.where });
  else if (err instanceof GroupLimitError) json(res, 507, { error: err.message, limit: err.limit });
  // issue 11 item 6(b): a full data directory is the box's storage, not a server bug
  else if (isStoreFull(err)) json(res, 507, { error: 'the data directory is full: nothing was written; free space under dataDir and retry' });
  else return false;
  return true;
}

/** GET/HEAD/PUT/DELETE /groups/<id>. */
export function groupHandler(groups: GroupService) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    let id: string;
    try {
      id = decodeURIComponent(path.slice('/groups/'.length));
    } catch {
      return json(res, 400, { error: 'group id is not valid percent-encoding' });
    }
    if (!isValidSipUser(id)) return json(res, 404, { error: 'no such group' });
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const g = groups.get(id);
        if (g === undefined) return json(res, 404, { error: 'no such group' });
        // attack finding F2: the stored text may hold any element (script in another namespace):
        // served as a download under the data policy, never rendered in the admin origin
        res.writeHead(200, {
          ...DATA_HEADERS,
          'content-type': 'application/xml; charset=utf-8',
          'content-disposition': `attachment; filename="${id.replace(/[^A-Za-z0-9._-]/g, '_')}.xml"`,
          'content-length': Buffer.byteLength(g.document),
          'last-modified': new Date(g.updatedAt).toUTCString(),
        });
        res.end(g.document);
        return;
      }
      case 'PUT':
        return putDocument(groups, req, res, id);
      case 'DELETE':
        return groups.delete(id) ? json(res, 200, { id, result: 'deleted' }) : json(res, 404, { error: 'no such group' });
    }
  };
}
