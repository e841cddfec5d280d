from ninja import Router

router = Router(tags=["triage and cases"])
