from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "sentinelle.demo"
    label = "demo"
