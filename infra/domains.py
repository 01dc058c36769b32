"""The stage's HTTPS domains, mapped to the HTTP API.

WeChat calls only whitelisted, ICP-filed HTTPS domains, so the mini-program talks to `api_domain`,
and every printed QR code holds `https://<code_domain>/q/<code>`, whose root also serves WeChat's
verification file. Both are custom domains of the same HTTP API (the code domain's routes are the
codes context's, deployed from the routes list like every other). They may be one host: then one
domain name and one mapping serve both. The certificates are ACM certificates in the stack's region,
made and validated outside the stack (ICP filing and DNS are the brand's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

if TYPE_CHECKING:
    from infra.config import StageConfig


class Domains(Construct):
    """Nothing is created in a `dev` stage without `api_domain` (it uses the execute-api URL)."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        http_api: apigwv2.IHttpApi,
        stage: apigwv2.IStage,
    ) -> None:
        super().__init__(scope, id)
        self.domains: dict[str, apigwv2.DomainName] = {}
        if config.api_domain and config.certificate_arn:
            self._map("Api", config.api_domain, config.certificate_arn, http_api, stage)
            if config.code_domain != config.api_domain:
                self._map(
                    "Code",
                    config.code_domain,
                    config.code_certificate_arn or config.certificate_arn,
                    http_api,
                    stage,
                )
        api_host = config.api_domain or None
        CfnOutput(
            self,
            "WeChatRequestDomain",
            key="WeChatRequestDomain",
            value=f"https://{api_host}" if api_host else "(dev: no api_domain, nothing to whitelist)",
            description="Whitelist in WeChat: Development > Server domains > request legal domain",
        )
        CfnOutput(
            self,
            "QrCodePrefix",
            key="QrCodePrefix",
            value=config.qr_url_base,
            description="WeChat 'scan a plain-URL QR code to open the mini-program' rule prefix",
        )
        for host, domain in self.domains.items():
            CfnOutput(
                self,
                f"{domain.node.id}Target",
                key=f"{domain.node.id}Target",
                value=domain.regional_domain_name,
                description=f"Point {host} here (DNS CNAME)",
            )

    def _map(
        self,
        id: str,
        host: str,
        certificate_arn: str,
        http_api: apigwv2.IHttpApi,
        stage: apigwv2.IStage,
    ) -> None:
        domain = apigwv2.DomainName(
            self,
            f"{id}Domain",
            domain_name=host,
            certificate=acm.Certificate.from_certificate_arn(self, f"{id}Certificate", certificate_arn),
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        # No mapping key: the code domain serves `/<verification file>` and `/q/<code>` at its root.
        apigwv2.ApiMapping(self, f"{id}Mapping", api=http_api, domain_name=domain, stage=stage)
        self.domains[host] = domain
