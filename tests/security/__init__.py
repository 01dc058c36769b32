"""The attacker's suite: one module per OWASP API Security Top 10 (2023) item that an HTTP test can
show, each run against the whole app (`create_app(routers())` through FastAPI's TestClient) on a
moto cloud (one per module, `conftest.py`), with tokens minted as a login mints them.

- API1 object-level, API2 authentication, API3 object-property-level, API5 function-level
  authorization derive the routes they attack from the app, so a new route is attacked (or must
  be listed as exempt, with its reason) as soon as it is served.
- API4 resource consumption, API6 sensitive business flows, API7 SSRF: `test_api4_*`, `test_api6_*`,
  `test_api7_*`.
- API8 Security Misconfiguration: no CORS from the app on any route (`test_api8_*`). The rest of it
  is the deployed configuration's, shown where it is built: the CDK tests (`test_infra_api.py`: no CORS
  configuration; `test_infra_encryption.py`: every store encrypted, walked over the template;
  `tests/infra/test_infra_storage.py`: private, TLS-only buckets; `test_infra_compliance.py`:
  cdk-nag; least-privilege roles from grants) and the problem+json error bodies, which never carry
  a stack trace (`tests/unit/platform/test_problems.py`; the fuzzer's documented responses).

Not here, and why:
- API9 Improper Inventory Management: every served route is the catalog's and API.md's
  (`tests/unit/platform/test_catalog.py`) and the committed OpenAPI document is the served one
  (the openapi test); there are no older API versions or hosts to forget.
- API10 Unsafe Consumption of APIs: the one third party is WeChat; its answers are validated and its
  failures mapped (`tests/integration/wechat`, `tests/integration/identity/test_wechat_client.py`).
"""
