/** The remote conformance suite (tests/plugins/_conformance.ts) against the webdav remote. */
import { conformance } from "./_conformance.ts";

conformance("webdav");
