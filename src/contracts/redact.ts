/**
 * Secrets never reach logs, status or errors in plain text. This masks the shapes they come in:
 * SAS signatures and tokens in URLs, account keys in connection strings, function keys in
 * `code=` query parameters and `x-functions-key` headers, bearer tokens.
 */
const PATTERNS: Array<[RegExp, string]> = [
  // The signature is what makes a SAS or presigned URL a secret; the other parameters are not.
  [/([?&](?:sig|code|signature|x-amz-signature|x-amz-security-token|x-amz-credential|awsaccesskeyid|x-goog-signature|x-goog-credential)=)[^&\s"'#]*/gi, '$1REDACTED'],
  [/(AccountKey=)[^;\s"']*/gi, '$1REDACTED'],
  [/(SharedAccessSignature=)[^;\s"']*/gi, '$1REDACTED'],
  [/(x-functions-key["']?\s*[:=]\s*["']?)[^"'\s,}]+/gi, '$1REDACTED'],
  [/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, '$1REDACTED'],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
