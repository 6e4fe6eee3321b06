from django.apps import AppConfig


class ChatserviceConfig(AppConfig):
    name = "chatservice"
    verbose_name = "Chat service"

    def ready(self) -> None:
        from chatservice import checks  # noqa: F401 - registers the system checks
