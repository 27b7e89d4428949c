/** SIP user-part validation, pure (no better-sqlite3) so the digest and registrar code can share it. */

/** Longest user name accepted; bounds index keys and log lines. */
export const MAX_USER_LENGTH = 128;

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
//   unreserved = alphanum / "-" "_" "." "!" "~" "*" "'" "(" ")"
//   user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
//   escaped = "%" HEXDIG HEXDIG
const SIP_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;

export function isValidSipUser(user: string): boolean {
  return user.length > 0 && user.length <= MAX_USER_LENGTH && SIP_USER.test(user);
}
