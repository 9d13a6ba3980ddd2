"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
# this process serves requests on threads of its own: pool its database connections
# (settings.DB_POOL_MAX_SIZE; a server that sets it keeps its value), unless persistent
# connections were asked for instead (the two exclude each other)
if os.environ.get("DB_CONN_MAX_AGE", "0") in ("", "0"):
    os.environ.setdefault("DB_POOL_MAX_SIZE", "4")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from casework.accounts.ws_auth import WsAuthStack  # noqa: E402
from casework.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(WsAuthStack(URLRouter(websocket_urlpatterns))),
})

# Garbage collection for a server that holds a thousand WebSockets (bench/push_latency.py).
# With CPython's default (a young collection every 700 net new containers), one
# instruction to 1,000 terminals ran about 18 young and 2 middle collections, 35-100 ms of
# the server's CPU, and now and then a full one over all ~300,000 objects of the
# connections stopped the process for 0.2-0.9 s. What is loaded by now (Django, the
# apps, URL and template machinery) lives as long as the process: freeze it, so no full
# collection walks it again. Then collect young objects every 50,000 net new containers:
# what a push allocates is freed by reference counting long before that, so a burst of
# pushes runs no collection at all, and cyclic garbage is still collected (a full
# collection after 10 middle ones, each after 20 young ones).
gc.collect()   # garbage of the start-up is not frozen
gc.freeze()
gc.set_threshold(50_000, 20, 10)
