import { describe, expect, it } from "vitest";
import type { Access } from "../src/access.js";
import { pathInspector, recipientsInspector, urlInspector } from "../src/inspectors/index.js";

/** Marker for "the inspector must refuse to understand this". */
const UNINSPECTABLE = "UNINSPECTABLE";

/** One canonical resource, or UNINSPECTABLE when any access is uninspectable. */
function single(accesses: readonly Access[]): string {
  if (accesses.some((a) => a.uninspectable !== undefined)) return UNINSPECTABLE;
  expect(accesses).toHaveLength(1);
  return accesses[0]?.resource ?? "";
}

/** All resources, or UNINSPECTABLE when any access is uninspectable. */
function all(accesses: readonly Access[]): string[] | typeof UNINSPECTABLE {
  if (accesses.some((a) => a.uninspectable !== undefined)) return UNINSPECTABLE;
  return accesses.map((a) => a.resource);
}

interface Case<E = string> {
  readonly name: string;
  readonly input: string;
  readonly expected: E;
}

describe("urlInspector", () => {
  const inspect = urlInspector();

  it("reports a plain https URL as action http.get with the canonical resource and facts", () => {
    expect(inspect({ url: "https://api.example.com/v1/users?id=7&x=1#top" })).toEqual([
      {
        action: "http.get",
        resource: "https://api.example.com/v1/users",
        data: [],
        facts: {
          method: "GET",
          host: "api.example.com",
          port: null,
          path: "/v1/users",
          query: "id=7&x=1",
          fragment: "top",
        },
      },
    ]);
  });

  it("keeps a non-default port in the resource and reports it as a number", () => {
    const [access] = inspect({ url: "https://api.example.com:8443/v1" });
    expect(access?.resource).toBe("https://api.example.com:8443/v1");
    expect(access?.facts).toMatchObject({ host: "api.example.com", port: 8443, query: null, fragment: null });
  });

  it("reads the method from an argument, upper-cases it and derives the action", () => {
    const withMethod = urlInspector({ method: { field: "method" } });
    const [access] = withMethod({ url: "https://api.example.com/v1", method: "post" });
    expect(access?.action).toBe("http.post");
    expect(access?.facts).toMatchObject({ method: "POST" });
  });

  it("uses a fixed method and a custom action mapping", () => {
    const hook = urlInspector({ field: "endpoint", method: "put", action: (m) => `webhook.${m}` });
    const [access] = hook({ endpoint: "https://hooks.example.com/x" });
    expect(access).toMatchObject({ action: "webhook.PUT", resource: "https://hooks.example.com/x" });
  });

  it("falls back to the method field's default when the argument is absent", () => {
    const withDefault = urlInspector({ method: { field: "method", default: "get" } });
    expect(withDefault({ url: "https://a.example.com/" })[0]?.action).toBe("http.get");
  });

  it.for([
    { name: "a missing method argument", args: { url: "https://a.example.com/" } },
    { name: "a method with a space and path", args: { url: "https://a.example.com/", method: "GET /admin" } },
    { name: "a method with CRLF", args: { url: "https://a.example.com/", method: "GET\r\nX: y" } },
    { name: "a non-string method", args: { url: "https://a.example.com/", method: 1 } },
    { name: "an empty method", args: { url: "https://a.example.com/", method: "" } },
  ])("makes the call uninspectable for $name", ({ args }) => {
    const withMethod = urlInspector({ method: { field: "method" } });
    const accesses = withMethod(args);
    expect(accesses).toHaveLength(1);
    expect(accesses[0]?.uninspectable?.field).toBe("method");
    expect(accesses[0]?.action).toBe("http.request");
  });

  it.for([
    { name: "a number", args: { url: 42 } },
    { name: "null", args: { url: null } },
    { name: "a URL object", args: { url: new URL("https://a.example.com/") } },
    { name: "a missing argument", args: {} },
    { name: "an argument only on the prototype", args: Object.create({ url: "https://a.example.com/" }) },
  ])("makes a URL given as $name uninspectable with a reason", ({ args }) => {
    const accesses = inspect(args as Record<string, unknown>);
    expect(accesses[0]?.uninspectable).toMatchObject({ field: "url" });
    expect(accesses[0]?.uninspectable?.reason).not.toBe("");
  });

  it("never throws on arguments that are not an object", () => {
    expect(single(inspect(null as unknown as Record<string, unknown>))).toBe(UNINSPECTABLE);
    expect(single(inspect("https://a.example.com/" as unknown as Record<string, unknown>))).toBe(
      UNINSPECTABLE,
    );
  });

  it("never throws when reading an argument throws", () => {
    const args = {
      get url(): string {
        throw new Error("boom");
      },
    };
    expect(single(inspect(args))).toBe(UNINSPECTABLE);
  });

  it("accepts a configured extra scheme and rejects the default ones it replaced", () => {
    const ws = urlInspector({ schemes: ["wss"] });
    expect(single(ws({ url: "WSS://Stream.Example.com:443/feed" }))).toBe("wss://stream.example.com/feed");
    expect(single(ws({ url: "https://stream.example.com/feed" }))).toBe(UNINSPECTABLE);
  });

  it("refuses invalid options at construction", () => {
    expect(() => urlInspector({ schemes: ["javascript"] })).toThrow(TypeError);
    expect(() => urlInspector({ schemes: [] })).toThrow(TypeError);
    expect(() => urlInspector({ method: "GET /x" })).toThrow(TypeError);
    expect(() => urlInspector({ method: { field: "m", default: "" } })).toThrow(TypeError);
  });

  const evasions: Case[] = [
    // Host spelling
    {
      name: "upper-case scheme and host are lower-cased",
      input: "HTTPS://API.Example.COM/v1/users",
      expected: "https://api.example.com/v1/users",
    },
    {
      name: "a Cyrillic homograph host becomes punycode",
      input: "https://\u0430pi.example.com/v1",
      expected: "https://xn--pi-6kc.example.com/v1",
    },
    {
      name: "an IDN host becomes punycode",
      input: "https://b\u00fccher.example/v1",
      expected: "https://xn--bcher-kva.example/v1",
    },
    {
      name: "a fullwidth host is mapped to ASCII",
      input: "https://\uff21\uff30\uff29.example.com/v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "ideographic full stops are mapped to dots",
      input: "https://api\u3002example\u3002com/v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "a trailing dot on the host is removed",
      input: "https://api.example.com./v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "two trailing dots (empty label) are uninspectable",
      input: "https://api.example.com../v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "an empty label inside the host is uninspectable",
      input: "https://api..example.com/v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a lookalike suffix host stays that host",
      input: "https://api.example.com.evil.com/v1",
      expected: "https://api.example.com.evil.com/v1",
    },
    {
      name: "a percent-encoded host is uninspectable",
      input: "http://%61pi.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "a glob character in the host is uninspectable",
      input: "https://api*.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "an IDNA deviation character (sharp s) is uninspectable",
      input: "https://fa\u00df.de/",
      expected: UNINSPECTABLE,
    },
    // IP addresses
    {
      name: "dotted decimal loopback is canonical",
      input: "http://127.0.0.1",
      expected: "http://127.0.0.1/",
    },
    {
      name: "hex IPv4 parts become dotted decimal",
      input: "http://0x7f.0.0.1",
      expected: "http://127.0.0.1/",
    },
    {
      name: "a 32-bit integer host becomes dotted decimal",
      input: "http://2130706433",
      expected: "http://127.0.0.1/",
    },
    { name: "short hex IPv4 becomes dotted decimal", input: "http://0x7f.1", expected: "http://127.0.0.1/" },
    {
      name: "short decimal IPv4 becomes dotted decimal",
      input: "http://127.1",
      expected: "http://127.0.0.1/",
    },
    {
      name: "an IPv4 host with a trailing dot is canonical",
      input: "http://127.0.0.1./",
      expected: "http://127.0.0.1/",
    },
    {
      name: "octal IPv4 (leading zero) is uninspectable, parsers disagree",
      input: "http://0177.0.0.1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a leading-zero decimal-looking IPv4 part is uninspectable",
      input: "http://010.0.0.1/",
      expected: UNINSPECTABLE,
    },
    {
      name: "fullwidth digits forming an IPv4 host are uninspectable",
      input: "http://\uff11\uff12\uff17.0.0.1/",
      expected: UNINSPECTABLE,
    },
    {
      name: "an IPv4-mapped IPv6 host becomes the IPv4 address",
      input: "http://[::ffff:127.0.0.1]/",
      expected: "http://127.0.0.1/",
    },
    {
      name: "an uncompressed IPv6 host is compressed",
      input: "http://[0:0:0:0:0:0:0:1]:80/",
      expected: "http://[::1]/",
    },
    {
      name: "an out-of-range IPv4 host is uninspectable",
      input: "http://256.0.0.1/",
      expected: UNINSPECTABLE,
    },
    // Ports
    {
      name: "the https default port is dropped",
      input: "https://api.example.com:443/v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "the http default port is dropped",
      input: "http://api.example.com:80/v1",
      expected: "http://api.example.com/v1",
    },
    {
      name: "a zero-padded default port is dropped",
      input: "https://api.example.com:0443/v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "port 80 on https is kept",
      input: "https://api.example.com:80/v1",
      expected: "https://api.example.com:80/v1",
    },
    {
      name: "an empty port is dropped",
      input: "https://api.example.com:/v1",
      expected: "https://api.example.com/v1",
    },
    // Path
    {
      name: "dot-dot segments are resolved",
      input: "https://api.example.com/v1/../admin",
      expected: "https://api.example.com/admin",
    },
    {
      name: "encoded dot-dot segments are resolved",
      input: "https://api.example.com/v1/%2e%2e/admin",
      expected: "https://api.example.com/admin",
    },
    {
      name: "mixed-case half-encoded dot-dot is resolved",
      input: "https://api.example.com/v1/.%2E/admin",
      expected: "https://api.example.com/admin",
    },
    {
      name: "single-dot segments are removed",
      input: "https://api.example.com/v1/./%2e/users",
      expected: "https://api.example.com/v1/users",
    },
    {
      name: "dot-dot cannot climb above the root",
      input: "https://api.example.com/../../v1",
      expected: "https://api.example.com/v1",
    },
    {
      name: "an encoded unreserved letter is decoded",
      input: "https://api.example.com/v1/%61dmin",
      expected: "https://api.example.com/v1/admin",
    },
    {
      name: "an encoded tilde is decoded",
      input: "https://api.example.com/v1/%7Euser",
      expected: "https://api.example.com/v1/~user",
    },
    {
      name: "lower-case hex escapes are upper-cased",
      input: "https://api.example.com/v1/%c3%a9",
      expected: "https://api.example.com/v1/%C3%A9",
    },
    {
      name: "raw non-ASCII path characters are UTF-8 encoded",
      input: "https://api.example.com/v1/\u00e9",
      expected: "https://api.example.com/v1/%C3%A9",
    },
    {
      name: "a raw pipe gets the same spelling as its escape",
      input: "https://api.example.com/v1/a|b",
      expected: "https://api.example.com/v1/a%7Cb",
    },
    {
      name: "an escaped pipe keeps its upper-case escape",
      input: "https://api.example.com/v1/a%7cb",
      expected: "https://api.example.com/v1/a%7Cb",
    },
    {
      name: "an encoded reserved sub-delim stays encoded",
      input: "https://api.example.com/v1/a%2Ab",
      expected: "https://api.example.com/v1/a%2Ab",
    },
    {
      name: "empty path segments are kept, not merged",
      input: "https://api.example.com//v1//users",
      expected: "https://api.example.com//v1//users",
    },
    {
      name: "an encoded slash is uninspectable",
      input: "https://api.example.com/v1%2Fadmin",
      expected: UNINSPECTABLE,
    },
    {
      name: "a lower-case encoded slash is uninspectable",
      input: "https://api.example.com/v1/..%2f..%2fadmin",
      expected: UNINSPECTABLE,
    },
    {
      name: "an encoded backslash is uninspectable",
      input: "https://api.example.com/v1%5Cadmin",
      expected: UNINSPECTABLE,
    },
    {
      name: "a double-encoded dot-dot is uninspectable",
      input: "https://api.example.com/v1/%252e%252e/admin",
      expected: UNINSPECTABLE,
    },
    {
      name: "a malformed escape is uninspectable",
      input: "https://api.example.com/v1/%zz",
      expected: UNINSPECTABLE,
    },
    {
      name: "a truncated escape is uninspectable",
      input: "https://api.example.com/v1/%2",
      expected: UNINSPECTABLE,
    },
    {
      name: "an encoded NUL is uninspectable",
      input: "https://api.example.com/v1/a%00.json",
      expected: UNINSPECTABLE,
    },
    {
      name: "a dot-dot hidden behind ;param is uninspectable",
      input: "https://api.example.com/v1/..;/admin",
      expected: UNINSPECTABLE,
    },
    {
      name: "an encoded dot-dot behind ;param is uninspectable",
      input: "https://api.example.com/v1/%2e%2e;x=1/admin",
      expected: UNINSPECTABLE,
    },
    // Query and fragment
    {
      name: "the query is not part of the resource",
      input: "https://api.example.com/v1?next=/admin",
      expected: "https://api.example.com/v1",
    },
    {
      name: "a fragment is not part of the resource",
      input: "https://api.example.com/v1#/../admin",
      expected: "https://api.example.com/v1",
    },
    {
      name: "an empty path with a query gets the root path",
      input: "https://api.example.com?x=1",
      expected: "https://api.example.com/",
    },
    // Credentials and authority tricks
    {
      name: "user and password are uninspectable",
      input: "https://user:pw@api.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "a user name alone is uninspectable",
      input: "https://api.example.com@evil.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "an empty user info is uninspectable",
      input: "https://@api.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "a password alone is uninspectable",
      input: "https://:pw@api.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "an encoded slash in the user info is uninspectable",
      input: "https://api.example.com%2F@evil.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "a backslash before @ is uninspectable (WHATWG and RFC 3986 parsers disagree)",
      input: "https://api.example.com\\@evil.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "backslashes as slashes are uninspectable",
      input: "https:\\\\evil.com\\v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a missing // after the scheme is uninspectable",
      input: "https:api.example.com/v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a single slash after the scheme is uninspectable",
      input: "https:/api.example.com/v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "three slashes after the scheme are uninspectable",
      input: "https:///api.example.com/v1",
      expected: UNINSPECTABLE,
    },
    // Whitespace and controls (WHATWG strips some of them; other clients do not)
    {
      name: "a tab inside the host is uninspectable",
      input: "https://api.ex\tample.com/v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a newline inside the path is uninspectable",
      input: "https://api.example.com/v1/ad\nmin",
      expected: UNINSPECTABLE,
    },
    {
      name: "a CRLF header injection is uninspectable",
      input: "https://api.example.com/v1\r\nHost: evil.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "leading whitespace is uninspectable",
      input: " https://api.example.com/v1",
      expected: UNINSPECTABLE,
    },
    {
      name: "a raw space in the path is uninspectable",
      input: "https://api.example.com/v1/a b",
      expected: UNINSPECTABLE,
    },
    {
      name: "a raw NUL is uninspectable",
      input: "https://api.example.com/v1\u0000.evil.com",
      expected: UNINSPECTABLE,
    },
    // Schemes
    { name: "javascript: is uninspectable", input: "javascript:alert(1)", expected: UNINSPECTABLE },
    { name: "file: is uninspectable", input: "file:///etc/passwd", expected: UNINSPECTABLE },
    {
      name: "data: is uninspectable",
      input: "data:text/html,<script>alert(1)</script>",
      expected: UNINSPECTABLE,
    },
    {
      name: "ftp: is uninspectable unless configured",
      input: "ftp://api.example.com/",
      expected: UNINSPECTABLE,
    },
    {
      name: "a scheme-relative URL is uninspectable",
      input: "//api.example.com/v1",
      expected: UNINSPECTABLE,
    },
    { name: "a relative path is uninspectable", input: "/v1/users", expected: UNINSPECTABLE },
    { name: "an empty string is uninspectable", input: "", expected: UNINSPECTABLE },
  ];

  it.for(evasions)("canonicalises or refuses: $name", ({ input, expected }) => {
    expect(single(inspect({ url: input }))).toBe(expected);
  });
});

describe("pathInspector", () => {
  const inspect = pathInspector({ roots: ["/srv/reports"] });

  it("reports an absolute path inside the root as file.read with facts", () => {
    expect(inspect({ path: "/srv/reports/q3.csv" })).toEqual([
      {
        action: "file.read",
        resource: "file:/srv/reports/q3.csv",
        data: [],
        facts: { path: "/srv/reports/q3.csv", root: "/srv/reports" },
      },
    ]);
  });

  it("uses the configured field and action", () => {
    const write = pathInspector({ field: "target", roots: ["/tmp/out"], action: "file.write" });
    expect(write({ target: "/tmp/out/a.txt" })[0]).toMatchObject({
      action: "file.write",
      resource: "file:/tmp/out/a.txt",
    });
  });

  it("matches any of several roots and reports the most specific one", () => {
    const multi = pathInspector({ roots: ["/srv", "/tmp/out", "/srv/reports/"] });
    expect(multi({ path: "/tmp/out/x" })[0]?.facts).toEqual({ path: "/tmp/out/x", root: "/tmp/out" });
    expect(multi({ path: "/srv/reports/x" })[0]?.facts).toEqual({
      path: "/srv/reports/x",
      root: "/srv/reports",
    });
    expect(multi({ path: "relative.txt" })[0]?.resource).toBe("file:/srv/relative.txt");
  });

  it("accepts everything under a root of /", () => {
    expect(single(pathInspector({ roots: ["/"] })({ path: "/etc/../etc/hosts" }))).toBe("file:/etc/hosts");
  });

  it("names the roots in the reason for a path outside them", () => {
    const [access] = inspect({ path: "/etc/passwd" });
    expect(access?.uninspectable?.field).toBe("path");
    expect(access?.uninspectable?.reason).toContain("/srv/reports");
  });

  it("refuses invalid roots at construction", () => {
    expect(() => pathInspector({ roots: [] })).toThrow(TypeError);
    expect(() => pathInspector({ roots: ["srv/reports"] })).toThrow(TypeError);
    expect(() => pathInspector({ roots: ["/srv/\u0000"] })).toThrow(TypeError);
    expect(() => pathInspector({ roots: ["C:\\reports"] })).toThrow(TypeError);
  });

  it.for([
    { name: "a number", args: { path: 7 } },
    { name: "an array", args: { path: ["/srv/reports/a"] } },
    { name: "null", args: { path: null } },
    { name: "a missing argument", args: {} },
  ])("makes a path given as $name uninspectable", ({ args }) => {
    expect(single(inspect(args as Record<string, unknown>))).toBe(UNINSPECTABLE);
  });

  const evasions: Case[] = [
    {
      name: "a relative path resolves against the first root",
      input: "q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    { name: "a ./ prefix is removed", input: "./q3.csv", expected: "file:/srv/reports/q3.csv" },
    {
      name: "inner ./ segments are removed",
      input: "/srv/./reports/./q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    {
      name: "duplicate slashes collapse",
      input: "//srv//reports///q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    { name: "a trailing slash is dropped", input: "/srv/reports/", expected: "file:/srv/reports" },
    {
      name: "dot-dot that stays inside is resolved",
      input: "/srv/reports/sub/../q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    {
      name: "dot-dot above / stays at /",
      input: "/../../srv/reports/q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    {
      name: "a relative detour that comes back is resolved",
      input: "sub/../../reports/q3.csv",
      expected: "file:/srv/reports/q3.csv",
    },
    {
      name: "percent escapes are literal file-name characters",
      input: "/srv/reports/%2e%2e/secrets",
      expected: "file:/srv/reports/%2e%2e/secrets",
    },
    {
      name: "three dots are an ordinary name",
      input: "/srv/reports/.../x",
      expected: "file:/srv/reports/.../x",
    },
    { name: "relative traversal is uninspectable", input: "../../etc/passwd", expected: UNINSPECTABLE },
    {
      name: "absolute traversal out of the root is uninspectable",
      input: "/srv/reports/../secrets/key",
      expected: UNINSPECTABLE,
    },
    {
      name: "a sibling sharing the root's prefix is uninspectable",
      input: "/srv/reports2/x",
      expected: UNINSPECTABLE,
    },
    {
      name: "traversal into a prefix sibling is uninspectable",
      input: "/srv/reports/../reports2/x",
      expected: UNINSPECTABLE,
    },
    { name: "the root's parent is uninspectable", input: "/srv", expected: UNINSPECTABLE },
    { name: "a shorter prefix of the root is uninspectable", input: "/srv/report", expected: UNINSPECTABLE },
    { name: "a path elsewhere is uninspectable", input: "/etc/passwd", expected: UNINSPECTABLE },
    {
      name: "a different-case spelling is uninspectable",
      input: "/SRV/reports/q3.csv",
      expected: UNINSPECTABLE,
    },
    {
      name: "a NUL byte truncation is uninspectable",
      input: "/srv/reports/q3.csv\u0000/../../etc/passwd",
      expected: UNINSPECTABLE,
    },
    { name: "backslash separators are uninspectable", input: "..\\..\\etc\\passwd", expected: UNINSPECTABLE },
    {
      name: "a backslash inside the root is uninspectable",
      input: "/srv/reports/a\\b",
      expected: UNINSPECTABLE,
    },
    { name: "a newline is uninspectable", input: "/srv/reports/a\nb", expected: UNINSPECTABLE },
    {
      name: "a C1 control character is uninspectable",
      input: "/srv/reports/a\u0085b",
      expected: UNINSPECTABLE,
    },
    { name: "an empty path is uninspectable", input: "", expected: UNINSPECTABLE },
    { name: "a home-directory tilde is uninspectable", input: "~/secrets", expected: UNINSPECTABLE },
    { name: "a file: URL is uninspectable", input: "file:///srv/reports/q3.csv", expected: UNINSPECTABLE },
  ];

  it.for(evasions)("canonicalises or refuses: $name", ({ input, expected }) => {
    expect(single(inspect({ path: input }))).toBe(expected);
  });
});

describe("recipientsInspector", () => {
  const inspect = recipientsInspector();

  it("reports one email.send access per recipient with facts", () => {
    expect(inspect({ to: "Jane <jane@example.com>" })).toEqual([
      {
        action: "email.send",
        resource: "mailto:jane@example.com",
        data: [],
        facts: { recipient: "jane@example.com", domain: "example.com", field: "to", fields: ["to"] },
      },
    ]);
  });

  it("collects to, cc and bcc, strings and arrays, and collapses duplicates to one access", () => {
    const accesses = inspect({
      to: "a@example.com, B@example.org",
      cc: ["A@EXAMPLE.COM", "c@example.net"],
      bcc: "b@example.org.",
    });
    expect(all(accesses)).toEqual(["mailto:a@example.com", "mailto:b@example.org", "mailto:c@example.net"]);
    expect(accesses[0]?.facts).toMatchObject({ field: "to", fields: ["to", "cc"] });
    expect(accesses[1]?.facts).toMatchObject({ field: "to", fields: ["to", "bcc"] });
  });

  it("uses the configured fields and action", () => {
    const custom = recipientsInspector({ fields: ["recipients"], action: "slack.dm" });
    expect(custom({ recipients: ["x@example.com"], to: "ignored@evil.com" })).toMatchObject([
      { action: "slack.dm", resource: "mailto:x@example.com" },
    ]);
  });

  it("refuses an empty field list at construction", () => {
    expect(() => recipientsInspector({ fields: [] })).toThrow(TypeError);
  });

  it.for([
    { name: "no recipient fields at all", args: {} },
    { name: "only null fields", args: { to: null, cc: null } },
    { name: "an empty array", args: { to: [] } },
    { name: "an empty string", args: { to: "" } },
    { name: "only separators", args: { to: " , ," } },
  ])("makes $name uninspectable", ({ args }) => {
    const accesses = inspect(args);
    expect(accesses).toHaveLength(1);
    expect(accesses[0]?.uninspectable?.reason).toContain("no recipients");
  });

  it("flags a non-string array element by its index and still reports the good recipients", () => {
    const accesses = inspect({ to: ["ok@example.com", 42] });
    expect(accesses.map((a) => a.resource)).toContain("mailto:ok@example.com");
    expect(accesses.find((a) => a.uninspectable)?.uninspectable?.field).toBe("to[1]");
  });

  it("flags an object recipient as uninspectable", () => {
    expect(all(inspect({ to: { address: "x@example.com" } }))).toBe(UNINSPECTABLE);
    expect(all(inspect({ cc: [["nested@example.com"]] }))).toBe(UNINSPECTABLE);
  });

  it("does not read recipients from the prototype", () => {
    const args = Object.create({ to: "x@evil.com" }) as Record<string, unknown>;
    expect(all(inspect(args))).toBe(UNINSPECTABLE);
  });

  const evasions: Case<string[] | typeof UNINSPECTABLE>[] = [
    // Display names
    {
      name: "a quoted display name that looks like an address resolves to the real address",
      input: '"a@good.com" <x@evil.com>',
      expected: ["mailto:x@evil.com"],
    },
    {
      name: "a plain display name is dropped",
      input: "Jane Doe <jane@example.com>",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "a bare angle address is accepted",
      input: "<jane@example.com>",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "a comma inside a quoted display name does not split",
      input: '"Doe, Jane" <jane@example.com>, bob@example.com',
      expected: ["mailto:jane@example.com", "mailto:bob@example.com"],
    },
    {
      name: "an escaped quote inside a display name is handled",
      input: '"Jane \\"J\\" Doe" <jane@example.com>',
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "an unquoted @ in the display name is uninspectable",
      input: "a@good.com <x@evil.com>",
      expected: UNINSPECTABLE,
    },
    {
      name: "angle brackets inside a quoted display name are uninspectable",
      input: '"<a@good.com>" <x@evil.com>',
      expected: UNINSPECTABLE,
    },
    {
      name: "two angle addresses are uninspectable",
      input: "<a@good.com> <x@evil.com>",
      expected: UNINSPECTABLE,
    },
    {
      name: "text after the angle address is uninspectable",
      input: "Jane <jane@example.com> x@evil.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "an unclosed angle bracket is uninspectable",
      input: "Jane <jane@example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "an unbalanced quote is uninspectable",
      input: '"Jane <jane@example.com>',
      expected: UNINSPECTABLE,
    },
    // Case, IDN, trailing dot
    {
      name: "an upper-case domain is lower-cased",
      input: "jane@EXAMPLE.COM",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "an upper-case local part is lower-cased",
      input: "Jane.Doe@Example.com",
      expected: ["mailto:jane.doe@example.com"],
    },
    {
      name: "sub-addressing is kept as written",
      input: "jane+tag@example.com",
      expected: ["mailto:jane+tag@example.com"],
    },
    {
      name: "an IDN domain becomes punycode",
      input: "jane@b\u00fccher.de",
      expected: ["mailto:jane@xn--bcher-kva.de"],
    },
    {
      name: "a homograph domain becomes punycode",
      input: "jane@ex\u0430mple.com",
      expected: ["mailto:jane@xn--exmple-4nf.com"],
    },
    {
      name: "a fullwidth domain is mapped to ASCII",
      input: "jane@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "a trailing dot on the domain is removed",
      input: "jane@example.com.",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "an IDNA deviation character is uninspectable",
      input: "jane@fa\u00df.de",
      expected: UNINSPECTABLE,
    },
    // Lists
    {
      name: "a comma-separated list yields each recipient",
      input: "a@example.com,b@example.com , c@example.com",
      expected: ["mailto:a@example.com", "mailto:b@example.com", "mailto:c@example.com"],
    },
    {
      name: "case-variant duplicates collapse to one access",
      input: "jane@example.com, JANE@Example.COM, Jane <jane@example.com.>",
      expected: ["mailto:jane@example.com"],
    },
    {
      name: "a semicolon-separated list is uninspectable",
      input: "a@example.com; x@evil.com",
      expected: UNINSPECTABLE,
    },
    { name: "group syntax is uninspectable", input: "undisclosed-recipients:;", expected: UNINSPECTABLE },
    {
      name: "one bad entry makes the list uninspectable",
      input: "a@example.com, not-an-address",
      expected: UNINSPECTABLE,
    },
    // Address structure
    { name: "two @ signs are uninspectable", input: "a@b@example.com", expected: UNINSPECTABLE },
    {
      name: "a comment in the local part is uninspectable",
      input: "jane(x@evil.com)@example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "a trailing comment is uninspectable",
      input: "jane@example.com (Jane)",
      expected: UNINSPECTABLE,
    },
    {
      name: "a quoted local part is uninspectable",
      input: '"jane doe"@example.com',
      expected: UNINSPECTABLE,
    },
    {
      name: "a quoted local part hiding an address is uninspectable",
      input: '"x@evil.com"@example.com',
      expected: UNINSPECTABLE,
    },
    { name: "a source route is uninspectable", input: "@evil.com:jane@example.com", expected: UNINSPECTABLE },
    {
      name: "a source route in angle brackets is uninspectable",
      input: "<@evil.com:jane@example.com>",
      expected: UNINSPECTABLE,
    },
    {
      name: "a percent-hack route is uninspectable",
      input: "jane%evil.com@example.com",
      expected: UNINSPECTABLE,
    },
    { name: "a bang path is uninspectable", input: "evil.com!jane@example.com", expected: UNINSPECTABLE },
    { name: "a missing domain is uninspectable", input: "jane@", expected: UNINSPECTABLE },
    { name: "a missing @ is uninspectable", input: "jane", expected: UNINSPECTABLE },
    { name: "an empty local part is uninspectable", input: "@example.com", expected: UNINSPECTABLE },
    {
      name: "a leading dot in the local part is uninspectable",
      input: ".jane@example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "consecutive dots in the local part are uninspectable",
      input: "jane..doe@example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "a non-ASCII local part is uninspectable",
      input: "jan\u00e9@example.com",
      expected: UNINSPECTABLE,
    },
    { name: "a mailto: prefix is uninspectable", input: "mailto:jane@example.com", expected: UNINSPECTABLE },
    // Whitespace and controls
    { name: "whitespace before @ is uninspectable", input: "jane @example.com", expected: UNINSPECTABLE },
    {
      name: "whitespace inside the domain is uninspectable",
      input: "jane@exa mple.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "whitespace inside angle brackets is uninspectable",
      input: "Jane < jane@example.com >",
      expected: UNINSPECTABLE,
    },
    {
      name: "a CRLF header injection is uninspectable",
      input: "jane@example.com\r\nBcc: x@evil.com",
      expected: UNINSPECTABLE,
    },
    { name: "a trailing newline is uninspectable", input: "jane@example.com\n", expected: UNINSPECTABLE },
    // Domains
    { name: "an IP-literal domain is uninspectable", input: "jane@[127.0.0.1]", expected: UNINSPECTABLE },
    { name: "an IPv4 domain is uninspectable", input: "jane@127.0.0.1", expected: UNINSPECTABLE },
    { name: "a hex IPv4 domain is uninspectable", input: "jane@0x7f.1", expected: UNINSPECTABLE },
    { name: "a dotless domain is uninspectable", input: "jane@localhost", expected: UNINSPECTABLE },
    {
      name: "a numeric top-level domain is uninspectable",
      input: "jane@example.123",
      expected: UNINSPECTABLE,
    },
    { name: "an empty domain label is uninspectable", input: "jane@example..com", expected: UNINSPECTABLE },
    {
      name: "a leading hyphen in a label is uninspectable",
      input: "jane@-example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "an underscore in the domain is uninspectable",
      input: "jane@exa_mple.com",
      expected: UNINSPECTABLE,
    },
    { name: "a port on the domain is uninspectable", input: "jane@example.com:25", expected: UNINSPECTABLE },
    {
      name: "a path after the domain is uninspectable",
      input: "jane@evil.com/example.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "a percent-encoded domain is uninspectable",
      input: "jane@%65xample.com",
      expected: UNINSPECTABLE,
    },
    {
      name: "a fullwidth slash in the domain is uninspectable",
      input: "jane@evil.com\uff0fexample.com",
      expected: UNINSPECTABLE,
    },
  ];

  it.for(evasions)("canonicalises or refuses: $name", ({ input, expected }) => {
    expect(all(inspect({ to: input }))).toEqual(expected);
  });

  it("applies the same rules to array elements", () => {
    expect(all(inspect({ bcc: ['"a@good.com" <X@Evil.com>'] }))).toEqual(["mailto:x@evil.com"]);
    expect(all(inspect({ bcc: ["ok@example.com", "a@b@example.com"] }))).toBe(UNINSPECTABLE);
  });
});
