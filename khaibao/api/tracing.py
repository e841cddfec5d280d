from ninja import Router

router = Router(tags=["contact tracing"])
