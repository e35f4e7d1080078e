package aws

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// redactSources removes credential values from cfg.ConfigSources.
// LoadDefaultConfig keeps the environment and shared-file settings there,
// static keys and the container authorization token included, so printing
// an aws.Config with %+v would show them. By then the credentials provider
// is built and holds its own copy; service clients read ConfigSources only
// for endpoint and feature settings, which stay.
func redactSources(cfg *awssdk.Config) {
	for i, s := range cfg.ConfigSources {
		switch v := s.(type) {
		case awsconfig.EnvConfig:
			cfg.ConfigSources[i] = redactEnv(v)
		case *awsconfig.EnvConfig:
			r := redactEnv(*v)
			cfg.ConfigSources[i] = &r
		case awsconfig.SharedConfig:
			cfg.ConfigSources[i] = redactShared(v)
		case *awsconfig.SharedConfig:
			r := redactShared(*v)
			cfg.ConfigSources[i] = &r
		}
	}
}

func redactEnv(e awsconfig.EnvConfig) awsconfig.EnvConfig {
	e.Credentials = awssdk.Credentials{}
	e.ContainerAuthorizationToken = ""
	return e
}

func redactShared(s awsconfig.SharedConfig) awsconfig.SharedConfig {
	s.Credentials = awssdk.Credentials{}
	if s.Source != nil {
		src := redactShared(*s.Source)
		s.Source = &src
	}
	return s
}
