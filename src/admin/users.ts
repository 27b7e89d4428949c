// Users on the admin page (issue 12 item 5): list, add or change a password, delete. The
// password travels once in the request body; the store keeps only its HA1 hashes (the same
// path as `imedge user add`).
import type * as http from 'node:http';
import { isValidSipUser, MAX_USER_LENGTH } from '../store';
import { json, readJsonObject, segment } from './respond';
import { accountNameRefusal } from '../im/controlling/focus';

/** The CLI's door to the same rule (it may import admin, not im). */
export { accountNameRefusal };

export interface UserAdmin {
  list(): { user: string; realm: string }[];
  /** true when the user is new, false when its password was replaced */
  add(user: string, password: string): boolean;
  /** the user and its registrations go; false when there was no such user */
  delete(user: string): boolean;
}

const MAX_PASSWORD = 1024;

/** GET /users. */
export function usersHandler(users: UserAdmin) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => json(res, 200, { users: users.list() });
}

/** PUT /users/<name> {"password": "..."}, DELETE /users/<name>. */
export function userHandler(users: UserAdmin) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const name = segment(req, 2);
    if (name === undefined || !isValidSipUser(name)) {
      return json(res, req.method === 'PUT' ? 400 : 404, { error: `a user name is letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / (at most ${MAX_USER_LENGTH})` });
    }
    if (req.method === 'DELETE') {
      return users.delete(name) ? json(res, 200, { user: name, result: 'deleted' }) : json(res, 404, { error: `no such user: ${name}` });
    }
    const refused = accountNameRefusal(name);
    if (refused !== undefined) return json(res, 400, { error: refused });
    const body = await readJsonObject(req, res);
    if (body === undefined) return;
    const pw = body.password;
    if (typeof pw !== 'string' || pw.length === 0) return json(res, 400, { error: 'a password is needed' });
    if (pw.length > MAX_PASSWORD) return json(res, 400, { error: `the password is longer than ${MAX_PASSWORD} characters` });
    if (/[\u0000-\u001f\u007f]/.test(pw)) return json(res, 400, { error: 'the password holds control characters' });
    const created = users.add(name, pw);
    json(res, created ? 201 : 200, { user: name, result: created ? 'created' : 'updated' });
  };
}
