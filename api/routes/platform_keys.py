"""/v1/public/keys: the platform's public keys, so receivers can verify what it signs."""

import base64

from fastapi import APIRouter
from pydantic import BaseModel

from ledger.access.signing import key_id, private_key_from_seed, public_key_pem, raw_public_key
from ledger.core.crypto_profile import current_profile
from web.kit.deps import SettingsDep

router = APIRouter(prefix="/v1/public/keys", tags=["public"])


class PublicKeyPublic(BaseModel):
    algorithm: str  # Ed25519, or SM2 under the gm profile (SM3, default user id 1234567812345678)
    client_id: str  # what outbound webhooks send as X-Client-Id
    key_id: str  # first 16 hex digits of SHA-256 (SM3 under the gm profile) of the raw key
    public_key_base64: str  # the raw 32 bytes (SM2: the 65-byte uncompressed point)
    public_key_pem: str  # SubjectPublicKeyInfo


@router.get(
    "/webhook",
    response_model=PublicKeyPublic,
    responses={
        200: {
            "description": "The webhook signing key",
            "content": {
                "application/json": {
                    "example": {
                        "algorithm": "Ed25519",
                        "client_id": "platform",
                        "key_id": "4564afc9be4b1a5c",
                        "public_key_base64": "Jm2qVh7Xw0yVd0mYyZ1nFq1c8Zt1l7gU3D2mKQ5o0nA=",
                        "public_key_pem": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
                    }
                }
            },
        }
    },
)
def webhook_key(settings: SettingsDep) -> PublicKeyPublic:
    """The key that signs every outbound webhook, exactly like a client's request
    (docs/integrators/signing.md): verify X-Signature over
    METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nhex(sha256(body)); under the gm profile an SM2 key,
    over hex(sm3(body)) (docs/gm-profile.md)."""
    profile = current_profile(settings)
    public = private_key_from_seed(settings.platform.signing_key.get_secret_value(), profile).public_key()
    return PublicKeyPublic(
        algorithm=profile.signatures.name,
        client_id=settings.platform.client_id,
        key_id=key_id(public),
        public_key_base64=base64.b64encode(raw_public_key(public)).decode(),
        public_key_pem=public_key_pem(public).decode(),
    )
