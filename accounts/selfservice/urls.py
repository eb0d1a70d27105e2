"""/me/<merchant_slug>/...: the merchant's customer pages (namespace ``selfservice``)."""

from django.urls import path

from accounts.selfservice.views import enayapay, home, vospay

app_name = "selfservice"

urlpatterns = [
    path("", home.home, name="home"),
    path("signout/", home.signout, name="signout"),
    path("enayapay/", enayapay.account, name="enayapay-account"),
    path("enayapay/register/", enayapay.register, name="enayapay-register"),
    path("enayapay/login/", enayapay.login, name="enayapay-login"),
    path("enayapay/forgot/", enayapay.forgot, name="enayapay-forgot"),
    path("enayapay/verify/", enayapay.verify, name="enayapay-verify"),
    path("enayapay/verify/resend/", enayapay.resend, name="enayapay-resend"),
    path("enayapay/reset/", enayapay.reset, name="enayapay-reset"),
    path("enayapay/balance/", enayapay.balance, name="enayapay-balance"),
    path("enayapay/password/", enayapay.change_password, name="enayapay-password"),
    path("vospay/", vospay.profile, name="vospay-profile"),
    path("vospay/activate/", vospay.activate, name="vospay-activate"),
    path("vospay/activate/retry/", vospay.activate_retry, name="vospay-activate-retry"),
    path("vospay/signin/", vospay.signin, name="vospay-signin"),
    path("vospay/signin/access-code/", vospay.signin_code, name="vospay-signin-code"),
    path("vospay/verify/", vospay.verify, name="vospay-verify"),
    path("vospay/verify/resend/", vospay.resend, name="vospay-resend"),
    path("vospay/register/", vospay.register, name="vospay-register"),
    path("vospay/access-code/", vospay.access_code, name="vospay-access-code"),
    path("vospay/contracts/", vospay.contract_list, name="vospay-contracts"),
    path("vospay/contracts/<str:contract_number>/", vospay.contract_detail, name="vospay-contract"),
]
