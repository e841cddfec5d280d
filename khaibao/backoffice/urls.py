from django.urls import path

from khaibao.backoffice import verify, views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("verify/", verify.verify, name="verify"),
]
